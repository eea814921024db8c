"""Lab and vital prompt rules over the dated values in the patient context.

A lab rule never yields a code on its own: it yields evidence for a documentation prompt (and a
candidate code for the coder's worklist). Values dated after the date of service are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coding.rule_schemas import LabDefinition, LabRule
from coding.rulebook import RuleSet
from scribe.contracts import Lab, PatientContext


@dataclass(frozen=True)
class LabHit:
    """A lab rule that fired: the values behind it and the candidate code."""

    rule: LabRule
    values: tuple[tuple[int, Lab], ...]
    candidate: str | None

    def describe(self) -> str:
        """The values as text for a query, e.g. 'eGFR 38 (2026-01-05), eGFR 41 (2025-09-30)'."""
        parts = []
        for _, lab in self.values:
            when = f" ({lab.date})" if lab.date else ""
            unit = f" {lab.unit}" if lab.unit else ""
            parts.append(f"{lab.name} {lab.value:g}{unit}{when}")
        return ", ".join(parts)


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _named(lab: Lab, definition: LabDefinition) -> bool:
    name = lab.name.strip().lower()
    return name == definition.name or name in definition.aliases or name in definition.loinc


def _values(
    rule: LabRule, definition: LabDefinition, patient: PatientContext, date_of_service: date
) -> list[tuple[int, Lab, date | None]]:
    source = patient.vitals if rule.source == "vitals" else patient.labs
    values = []
    for index, lab in enumerate(source):
        when = _parse_date(lab.date)
        if _named(lab, definition) and (when is None or when <= date_of_service):
            values.append((index, lab, when))
    return sorted(values, key=lambda item: item[2] or date.min)


def _qualifies(rule: LabRule, value: float) -> bool:
    if rule.below is not None:
        return value < rule.below
    return rule.at_least is not None and value >= rule.at_least


def evaluate(
    rule: LabRule, rules: RuleSet, patient: PatientContext, date_of_service: date
) -> LabHit | None:
    """Evaluate one lab rule; None when it does not fire."""
    definition = next(item for item in rules.labs.labs if item.name == rule.lab)
    values = _values(rule, definition, patient, date_of_service)
    if not values or not _qualifies(rule, values[-1][1].value):
        return None
    qualifying = [item for item in values if _qualifies(rule, item[1].value)]
    if len(qualifying) < rule.min_count:
        return None
    if rule.min_days_apart:
        dated = [when for _, _, when in qualifying if when is not None]
        if len(dated) < 2 or (max(dated) - min(dated)).days < rule.min_days_apart:
            return None
    latest = qualifying[-1][1].value
    candidate = rule.candidate
    for band in rule.bands:
        if band.min <= latest <= band.max:
            candidate = band.code
    chosen = tuple((index, lab) for index, lab, _ in reversed(qualifying))
    return LabHit(rule, chosen, candidate)


def evaluate_all(
    rules: RuleSet, patient: PatientContext | None, date_of_service: date
) -> dict[str, LabHit]:
    """Every lab rule that fires for a patient, by rule id."""
    if patient is None:
        return {}
    hits = {}
    for rule in rules.labs.rules:
        hit = evaluate(rule, rules, patient, date_of_service)
        if hit is not None:
            hits[rule.rule_id] = hit
    return hits
