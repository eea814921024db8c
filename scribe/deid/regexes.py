"""The pattern rules of `patterns.yaml`, compiled and matched (no Presidio import here).

Shared by the Presidio pattern recognizer and the log filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scribe.deid.config import PatternSpec
from scribe.deid.spans import PhiSpan


@dataclass(frozen=True)
class CompiledPattern:
    """One rule of `patterns.yaml`, ready to run."""

    spec: PatternSpec
    regex: re.Pattern[str]
    require_before: re.Pattern[str] | None
    reject_before: re.Pattern[str] | None
    reject_after: re.Pattern[str] | None
    keep_before: re.Pattern[str] | None
    reject_values: frozenset[str]
    requires_any: frozenset[str]

    @classmethod
    def build(cls, spec: PatternSpec) -> CompiledPattern:
        """Compile a rule; context expressions use the rule's own case sensitivity."""
        flags = 0 if spec.case_sensitive else re.IGNORECASE

        def opt(pattern: str | None) -> re.Pattern[str] | None:
            return re.compile(pattern, flags) if pattern else None

        return cls(
            spec,
            re.compile(spec.regex, flags),
            opt(spec.require_before),
            opt(spec.reject_before),
            opt(spec.reject_after),
            opt(spec.keep_before),
            frozenset(value.lower() for value in spec.reject_values),
            frozenset(word.lower() for word in spec.requires_any),
        )

    def find(self, text: str) -> Iterable[PhiSpan]:
        """Matches of this rule in `text` that pass its context checks."""
        for match in self.regex.finditer(text):
            start, end = match.span("phi") if "phi" in self.regex.groupindex else match.span()
            if start < end and self._context_ok(text, start, end):
                yield PhiSpan(start, end, self.spec.entity, self.spec.score, self.spec.name)

    def _context_ok(self, text: str, start: int, end: int) -> bool:
        window = self.spec.window
        before = text[max(0, start - window) : start]
        if text[start:end].lower() in self.reject_values and not (
            self.keep_before and self.keep_before.search(before)
        ):
            return False
        if self.require_before and not self.require_before.search(before):
            return False
        if self.reject_before and self.reject_before.search(before):
            return False
        return not (self.reject_after and self.reject_after.match(text, end, end + window))


def find_all(
    patterns: Iterable[CompiledPattern], text: str, words: set[str] | None
) -> list[PhiSpan]:
    """Every match of every rule; `words` (lower-case tokens) enables the `requires_any` skip."""
    spans: list[PhiSpan] = []
    for pattern in patterns:
        if words is not None and pattern.requires_any and words.isdisjoint(pattern.requires_any):
            continue
        spans.extend(pattern.find(text))
    return spans
