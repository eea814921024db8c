"""Load and cross-check the coding rule set (`coding/rules/*.json`).

Each file is validated against its schema (unknown keys rejected), must carry the version the
manifest lists, and every ICD-10-CM code a rule can produce must be billable in the installed
code set. A reviewer's typo therefore fails on load, not in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coding import codes
from coding.errors import CodingInputError, RulesError
from coding.nlp_rule_schemas import ContextRules, MeatRules, Policy, QueryRules, SectionRules
from coding.rule_schemas import (
    CombinationRules,
    ConditionRules,
    LabRules,
    Manifest,
    MedicationRules,
    SpecificityRules,
)

RULES_PACKAGE = "coding.rules"
DIABETES_CATEGORIES = ("E10", "E11")
_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class RuleSet:
    """Every coding rules file, validated, under one version."""

    version: str
    sections: SectionRules
    context: ContextRules
    conditions: ConditionRules
    combinations: CombinationRules
    medications: MedicationRules
    labs: LabRules
    specificity: SpecificityRules
    meat: MeatRules
    queries: QueryRules
    policy: Policy

    def family_label(self, family: str) -> str:
        """Human label of a condition family."""
        for item in self.conditions.families:
            if item.name == family:
                return item.label
        return family.replace("_", " ")


def _read(name: str) -> Any:
    try:
        text = resources.files(RULES_PACKAGE).joinpath(name).read_text("utf-8")
    except FileNotFoundError as exc:
        raise RulesError(f"rules file {name} is missing from {RULES_PACKAGE}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(f"rules file {name} is not valid JSON: {exc}") from exc


def _load(name: str, model: type[_Model], manifest: Manifest) -> _Model:
    try:
        parsed = model.model_validate(_read(name))
    except ValidationError as exc:
        raise RulesError(f"rules file {name} fails validation:\n{exc}") from exc
    expected = manifest.files.get(name)
    if expected is None:
        raise RulesError(f"rules file {name} is not listed in manifest.json")
    if getattr(parsed, "version", None) != expected:
        raise RulesError(
            f"rules file {name} has version {getattr(parsed, 'version', None)!r}; "
            f"manifest.json lists {expected!r}"
        )
    return parsed


def expand_code(code: str) -> list[str]:
    """The concrete codes a rule code stands for ('{dm}.42' -> E10.42 and E11.42)."""
    if "{dm}" in code:
        return [code.replace("{dm}", category) for category in DIABETES_CATEGORIES]
    return [code]


@lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """Load, validate and cross-check the packaged rule set (cached per process)."""
    try:
        manifest = Manifest.model_validate(_read("manifest.json"))
    except ValidationError as exc:
        raise RulesError(f"manifest.json fails validation:\n{exc}") from exc
    rules = RuleSet(
        version=manifest.version,
        sections=_load("sections.json", SectionRules, manifest),
        context=_load("context.json", ContextRules, manifest),
        conditions=_load("conditions.json", ConditionRules, manifest),
        combinations=_load("combinations.json", CombinationRules, manifest),
        medications=_load("medications.json", MedicationRules, manifest),
        labs=_load("labs.json", LabRules, manifest),
        specificity=_load("specificity.json", SpecificityRules, manifest),
        meat=_load("meat.json", MeatRules, manifest),
        queries=_load("queries.json", QueryRules, manifest),
        policy=_load("policy.json", Policy, manifest),
    )
    check_rule_set(rules)
    return rules


def check_rule_set(rules: RuleSet) -> None:
    """Cross-file checks: references resolve, ids are unique, codes are billable."""
    problems = [*_reference_problems(rules), *_code_problems(rules), *_id_problems(rules)]
    if problems:
        raise RulesError("coding rules are inconsistent:\n- " + "\n- ".join(problems))


def _reference_problems(rules: RuleSet) -> Iterator[str]:
    families = {item.name for item in rules.conditions.families}
    yield from _condition_references(rules, families)
    yield from _other_references(rules, families)
    yield from _section_references(rules)


def _condition_references(rules: RuleSet, families: set[str]) -> Iterator[str]:
    qualifiers = {item.name for item in rules.conditions.qualifiers}
    for cond in rules.conditions.conditions:
        if cond.family not in families and cond.code is not None:
            yield f"{cond.rule_id}: unknown family {cond.family!r}"
        for variant in cond.variants:
            for name in set(variant.qualifiers) - qualifiers:
                yield f"{cond.rule_id}: unknown qualifier {name!r}"
    for ctx in rules.context.rules:
        for name in set(ctx.allowed_families) - families:
            yield f"{ctx.rule_id}: unknown family {name!r}"


def _other_references(rules: RuleSet, families: set[str]) -> Iterator[str]:
    labs = {item.name for item in rules.labs.labs}
    lab_rules = {item.rule_id for item in rules.labs.rules}
    for drug in rules.medications.drugs:
        for name in set(drug.families) - families:
            yield f"{drug.rule_id}: unknown family {name!r}"
    for rule in rules.labs.rules:
        if rule.lab not in labs or rule.family not in families:
            yield f"{rule.rule_id}: unknown lab {rule.lab!r} or family {rule.family!r}"
    for spec in rules.specificity.rules:
        if spec.lab_rule and spec.lab_rule not in lab_rules:
            yield f"{spec.rule_id}: unknown lab rule {spec.lab_rule!r}"
        if spec.template not in rules.queries.templates:
            yield f"{spec.rule_id}: unknown query template {spec.template!r}"
        for name in {spec.family, *spec.signal_families} - families:
            yield f"{spec.rule_id}: unknown family {name!r}"


def _section_references(rules: RuleSet) -> Iterator[str]:
    sections = {item.category for item in rules.sections.sections} | {"unknown"}
    used = {*rules.meat.meat_sections, *rules.sections.history_sections}
    for name in used | set(rules.sections.family_sections):
        if name not in sections:
            yield f"section category {name!r} is used but has no header rule"


def _rule_codes(rules: RuleSet) -> Iterator[tuple[str, str]]:
    yield from _condition_codes(rules)
    for combo in rules.combinations.combinations:
        if combo.add:
            yield combo.rule_id, combo.add
    for drug in rules.medications.drugs:
        yield from ((drug.rule_id, code) for code in [drug.candidate, *drug.alternatives] if code)
    for lab in rules.labs.rules:
        codes_of = [lab.candidate, *(band.code for band in lab.bands)]
        yield from ((lab.rule_id, code) for code in codes_of if code)
    for value_rule in rules.labs.note_value_codes:
        yield from ((value_rule.rule_id, band.code) for band in value_rule.bands)
    for spec in rules.specificity.rules:
        yield from ((spec.rule_id, code) for code in [spec.candidate, *spec.alternatives] if code)


def _condition_codes(rules: RuleSet) -> Iterator[tuple[str, str]]:
    for cond in rules.conditions.conditions:
        for code in [cond.code, *cond.extra_codes, cond.history_code]:
            if code:
                yield cond.rule_id, code
        for variant in cond.variants:
            yield from ((cond.rule_id, code) for code in [variant.code, *variant.extra_codes])


def _code_problems(rules: RuleSet) -> Iterator[str]:
    for rule_id, code in _rule_codes(rules):
        for concrete in expand_code(code):
            try:
                if codes.validate(concrete) != concrete:
                    yield f"{rule_id}: write {concrete!r} in dotted upper-case form"
            except CodingInputError as exc:
                yield f"{rule_id}: {exc}"


def _duplicate_literals(rules: RuleSet) -> Iterator[str]:
    """medspaCy keeps one of two modifiers on the same words, so a trigger may appear once."""
    owner: dict[str, str] = {}
    for ctx in rules.context.rules:
        for literal in ctx.literals:
            key = literal.lower()
            if key in owner:
                yield f"ConText trigger {literal!r} is in {owner[key]} and {ctx.rule_id}"
            owner.setdefault(key, ctx.rule_id)


def _id_problems(rules: RuleSet) -> Iterator[str]:
    ids = [cond.rule_id for cond in rules.conditions.conditions]
    ids += [combo.rule_id for combo in rules.combinations.combinations]
    ids += [drug.rule_id for drug in rules.medications.drugs]
    ids += [lab.rule_id for lab in rules.labs.rules]
    ids += [item.rule_id for item in rules.labs.note_value_codes]
    ids += [spec.rule_id for spec in rules.specificity.rules]
    ids += [ctx.rule_id for ctx in rules.context.rules]
    yield from _duplicate_literals(rules)
    seen: set[str] = set()
    for rule_id in ids:
        if rule_id in seen:
            yield f"rule id {rule_id!r} is used twice"
        seen.add(rule_id)
