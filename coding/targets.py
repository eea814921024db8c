"""Target matching for the clinical NLP: rule regexes tried only where they can start.

medspaCy's TargetMatcher runs each regex rule over `doc.text_with_ws`, which spaCy rebuilds
from every token on each access: with ~180 rules that cost about 0.2 s for a 1,000-word note,
most of the engine's time. This index keeps medspaCy's behaviour (case-insensitive regexes on
whole words, longest match wins, matches become `doc.ents` labelled for ConText) but builds the
text once and tries each rule only at word starts whose first character the rule can begin with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

WORD_START = re.compile(r"(?<![a-z0-9])[a-z0-9]", re.IGNORECASE)
RULE_EXTENSION = "coding_rule_id"
_LITERAL_OPS = {"LITERAL"}


@dataclass(frozen=True)
class TargetSpec:
    """One target rule: its id, the entity label ConText sees, and its regex patterns."""

    rule_id: str
    label: str
    patterns: tuple[str, ...]


def rule_regex(patterns: Iterable[str]) -> str:
    """One regex for a rule's alternatives, longest first, ending at a word end."""
    ordered = sorted(patterns, key=len, reverse=True)
    return r"(?:" + "|".join(ordered) + r")(?![a-z])"


def first_chars(pattern: str) -> set[str] | None:
    """Lower-case characters a match of `pattern` can start with; None when unknown."""
    try:
        parsed = re._parser.parse(pattern, re.IGNORECASE)  # type: ignore[attr-defined]
    except (re.error, AttributeError):
        return None
    chars, nullable = _firsts(list(parsed))
    return None if chars is None or nullable else chars


def _firsts(items: list[Any]) -> tuple[set[str] | None, bool]:
    """(first characters, can-be-empty) of a parsed regex sequence."""
    found: set[str] = set()
    for op, av in items:
        chars, nullable = _first_of(str(op), av)
        if chars is None:
            return None, False
        found |= chars
        if not nullable:
            return found, False
    return found, True


def _first_of(op: str, av: Any) -> tuple[set[str] | None, bool]:
    if op in _LITERAL_OPS:
        return {chr(av).lower()}, False
    if op == "IN":
        return _class_chars(av), False
    if op == "SUBPATTERN":
        return _firsts(list(av[-1]))
    if op == "BRANCH":
        return _branch(av[1])
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        chars, nullable = _firsts(list(av[2]))
        return chars, nullable or av[0] == 0
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return set(), True
    return None, False


def _branch(alternatives: list[Any]) -> tuple[set[str] | None, bool]:
    found: set[str] = set()
    nullable = False
    for alternative in alternatives:
        chars, empty = _firsts(list(alternative))
        if chars is None:
            return None, False
        found |= chars
        nullable = nullable or empty
    return found, nullable


def _class_chars(items: list[Any]) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            chars.add(chr(av).lower())
        elif name == "RANGE":
            chars |= {chr(code).lower() for code in range(av[0], av[1] + 1)}
        else:
            return None
    return chars


class TargetIndex:
    """Compiled target rules indexed by the first character they can match."""

    def __init__(self, specs: Iterable[TargetSpec]) -> None:
        """Compile every rule once and index it by its possible first characters."""
        self.by_char: dict[str, list[tuple[TargetSpec, re.Pattern[str]]]] = {}
        self.anywhere: list[tuple[TargetSpec, re.Pattern[str]]] = []
        for spec in specs:
            regex = rule_regex(spec.patterns)
            entry = (spec, re.compile(regex, re.IGNORECASE))
            chars = first_chars(regex)
            if chars is None:
                self.anywhere.append(entry)
                continue
            for char in chars:
                self.by_char.setdefault(char, []).append(entry)

    def find(self, text: str) -> list[tuple[int, int, TargetSpec]]:
        """Non-overlapping matches (longest first, then earliest) as (start, end, rule)."""
        found = []
        for start_match in WORD_START.finditer(text):
            start = start_match.start()
            for spec, pattern in self.by_char.get(text[start].lower(), []) + self.anywhere:
                match = pattern.match(text, start)
                if match and match.end() > start:
                    found.append((start, match.end(), spec))
        return _longest_first(found)


def _longest_first(found: list[tuple[int, int, TargetSpec]]) -> list[tuple[int, int, TargetSpec]]:
    kept: list[tuple[int, int, TargetSpec]] = []
    for start, end, spec in sorted(found, key=lambda m: (-(m[1] - m[0]), m[0])):
        if all(end <= other_start or start >= other_end for other_start, other_end, _ in kept):
            kept.append((start, end, spec))
    return sorted(kept, key=lambda m: m[0])


class TargetComponent:
    """spaCy component: rule matches become `doc.ents` (label = family or kind)."""

    def __init__(self, index: TargetIndex) -> None:
        """Use a compiled target index."""
        self.index = index

    def __call__(self, doc: Any) -> Any:
        """Set `doc.ents` and each entity's rule id extension."""
        from spacy.util import filter_spans

        spans = []
        for start, end, spec in self.index.find(doc.text):
            span = doc.char_span(start, end, label=spec.label, alignment_mode="expand")
            if span is not None and len(span):
                spans.append((span, spec.rule_id))
        kept = filter_spans([span for span, _ in spans])
        rule_of = {(s.start, s.end): rule_id for s, rule_id in spans}
        doc.ents = kept
        for ent in doc.ents:
            setattr(ent._, RULE_EXTENSION, rule_of[(ent.start, ent.end)])
        return doc
