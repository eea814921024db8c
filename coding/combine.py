"""ICD-10-CM combination conventions and note values applied to the codes a note supports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coding.findings import Finding, resolve_dm
from coding.meat import Cue
from coding.nlp import Analysis
from coding.rule_schemas import Combination
from coding.rulebook import RuleSet

MAX_ROUNDS = 20


@dataclass
class CodedItem:
    """A code the note supports, with the findings, MEAT cues and rule behind it."""

    code: str
    rule_id: str
    family: str
    label: str
    findings: list[Finding] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


def _matches(pattern: str, item: CodedItem) -> bool:
    if pattern.startswith("rule:"):
        return re.search(pattern.removeprefix("rule:"), item.rule_id) is not None
    return re.search(pattern, item.code) is not None


def apply_combinations(items: list[CodedItem], rules: RuleSet, dm: str) -> list[CodedItem]:
    """Apply the combination rules in order, repeatedly, until the code set stops changing."""
    current = list(items)
    for _ in range(MAX_ROUNDS):
        changed = False
        for combo in rules.combinations.combinations:
            updated = _apply_one(combo, current, dm)
            if updated is not None:
                current, changed = updated, True
        if not changed:
            break
    return current


def _apply_one(combo: Combination, items: list[CodedItem], dm: str) -> list[CodedItem] | None:
    matched = [[item for item in items if _matches(p, item)] for p in combo.when_all]
    if not all(matched):
        return None
    if any(_matches(p, item) for p in combo.unless_any for item in items):
        return None
    removed = [item for item in items if any(_matches(p, item) for p in combo.remove)]
    kept = [item for item in items if item not in removed]
    added = resolve_dm(combo.add, dm) if combo.add else None
    if added is None and not removed:
        return None
    if added is not None and any(item.code == added for item in kept):
        if not removed:
            return None
        added = None
    if added is not None:
        sources = [item for group in matched for item in group]
        kept.append(_merged(added, combo, sources))
    return kept


def _merged(code: str, combo: Combination, sources: list[CodedItem]) -> CodedItem:
    lead = sources[0]
    item = CodedItem(code, combo.rule_id, lead.family, lead.label)
    for source in sources:
        item.findings.extend(f for f in source.findings if f not in item.findings)
        item.cues.extend(c for c in source.cues if c not in item.cues)
        item.spans.extend(s for s in source.spans if s not in item.spans)
    return item


def note_value_items(
    analysis: Analysis, items: list[CodedItem], rules: RuleSet, age: int | None
) -> list[CodedItem]:
    """Codes for values written in the note (adult BMI) when the related diagnosis is coded."""
    families = {item.family for item in items}
    added = []
    for value_rule in rules.labs.note_value_codes:
        if value_rule.requires_family not in families or (
            age is not None and age < value_rule.min_age
        ):
            continue
        matches = list(re.finditer(value_rule.pattern, analysis.text, re.IGNORECASE))
        if not matches:
            continue
        last = matches[-1]
        value = float(last.group(1))
        for band in value_rule.bands:
            if band.min <= value <= band.max:
                label = f"body mass index {value:g}"
                item = CodedItem(band.code, value_rule.rule_id, value_rule.requires_family, label)
                item.spans.append((last.start(), last.end()))
                added.append(item)
                break
    return added
