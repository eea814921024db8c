"""Turn condition mentions into findings: assertion status, qualifiers and ICD-10-CM codes.

Safety rules live here: a negated, family, hypothetical, uncertain or questioned mention is
`excluded` (never coded, never prompted); a historical mention becomes a history code
(Z86.73, Z85.3, ...) when its rule says so, stays current for chronic conditions, or is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from coding.nlp import Analysis, Mention
from coding.rule_schemas import ConditionRule
from coding.rulebook import RuleSet

Status = Literal["current", "history", "excluded"]
BEFORE_CHARS = 40
AFTER_CHARS = 50
_CLAUSE_BREAK = re.compile(r"[;\n]|\.\s")


@dataclass(frozen=True)
class Finding:
    """A condition mention with its assertion status and the codes it stands for."""

    mention: Mention
    rule: ConditionRule
    status: Status
    codes: tuple[str, ...]
    qualifiers: frozenset[str]

    @property
    def family(self) -> str:
        """The condition family."""
        return self.rule.family

    @property
    def label(self) -> str:
        """Human label of the condition."""
        return self.rule.label


class FindingMaker:
    """Compiled qualifier rules; makes the findings of analysed texts."""

    def __init__(self, rules: RuleSet) -> None:
        """Compile the qualifier patterns of a rule set once."""
        self._by_id = {cond.rule_id: cond for cond in rules.conditions.conditions}
        self._negation = re.compile(rules.conditions.qualifier_negation, re.IGNORECASE)
        self._qualifiers = [
            (
                item.name,
                [re.compile(p, re.IGNORECASE) for p in item.patterns],
                [re.compile(p, re.IGNORECASE) for p in item.after_only],
            )
            for item in rules.conditions.qualifiers
        ]

    def find(self, analysis: Analysis) -> list[Finding]:
        """Findings for every condition mention of an analysed text, in text order."""
        return [
            self._finding(mention, self._by_id[mention.rule_id], analysis)
            for mention in analysis.mentions
            if mention.kind == "condition"
        ]

    def _finding(self, mention: Mention, rule: ConditionRule, analysis: Analysis) -> Finding:
        if not mention.asserted:
            return Finding(mention, rule, "excluded", (), frozenset())
        if "historical" in mention.flags and rule.on_historical != "current":
            if rule.on_historical == "ignore" or not rule.history_code:
                return Finding(mention, rule, "excluded", (), frozenset())
            return Finding(mention, rule, "history", (rule.history_code,), frozenset())
        qualifiers = self.qualifiers_near(mention, analysis)
        codes: tuple[str, ...] = (str(rule.code), *rule.extra_codes)
        for variant in rule.variants:
            if set(variant.qualifiers) <= qualifiers:
                codes = (variant.code, *variant.extra_codes)
                break
        return Finding(mention, rule, "current", codes, frozenset(qualifiers))

    def qualifiers_near(self, mention: Mention, analysis: Analysis) -> set[str]:
        """Qualifier names in the mention and the clause around it (negated ones skipped)."""
        before, after = _windows(mention, analysis)
        found = set()
        for name, anywhere, after_only in self._qualifiers:
            for window in (before + " " + mention.text, mention.text + after):
                if any(_affirmed(p, window, self._negation) for p in anywhere):
                    found.add(name)
            if any(p.search(after) for p in after_only):
                found.add(name)
        return found


def _affirmed(pattern: re.Pattern[str], window: str, negation: re.Pattern[str]) -> bool:
    return any(not negation.search(window[: m.start()]) for m in pattern.finditer(window))


def _windows(mention: Mention, analysis: Analysis) -> tuple[str, str]:
    """Text just before and just after a mention, cut at clause breaks and other mentions."""
    sent_start, sent_end = analysis.sentences[mention.sentence]
    left = max(sent_start, mention.start - BEFORE_CHARS)
    right = min(sent_end, mention.end + AFTER_CHARS)
    for other in analysis.mentions:
        if other is mention or other.kind == "medication":
            continue
        if left <= other.end <= mention.start:
            left = other.end
        if mention.end <= other.start < right:
            right = other.start
    before = analysis.text[left : mention.start]
    after = analysis.text[mention.end : right]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    stop = _CLAUSE_BREAK.search(after)
    if stop:
        after = after[: stop.start()]
    return before, after


def diabetes_category(findings: list[Finding]) -> str:
    """E10 when a current type 1 diabetes finding is present, else E11 (the ICD-10-CM default)."""
    for finding in findings:
        if finding.status == "current" and finding.codes and finding.codes[0].startswith("E10."):
            return "E10"
    return "E11"


def resolve_dm(code: str, category: str) -> str:
    """Replace the '{dm}' placeholder of a rule code with the documented diabetes category."""
    return code.replace("{dm}", category)
