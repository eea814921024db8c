"""Lexicon matching without a model: concepts (symptoms, conditions, labs) and medications.

The same matchers feed the medspaCy target rules, the faithfulness check and the evaluation's
fact extraction, so all three agree on what counts as a mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from scribe.drafting.rulebook import Concept, DrugRules, clinical_lexicon, drug_rules


@dataclass(frozen=True)
class TermMatch:
    """One lexicon hit: the concept's canonical name and where it was found."""

    name: str
    category: str
    start: int
    end: int
    text: str


def term_pattern(term: str) -> str:
    """Regular expression for a lexicon term: flexible spaces, optional plural, word bounds."""
    body = re.sub(r" +", r"\\s+", term)
    if term[-1:].isalpha() and not term.endswith("s"):
        body += "(?:e?s)?"
    return rf"(?<![\w-]){body}(?![\w-])"


def _drop_overlaps(matches: list[TermMatch]) -> list[TermMatch]:
    """Keep the longest of overlapping matches, in text order."""
    kept: list[TermMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        if kept and match.start < kept[-1].end:
            if (match.end - match.start) > (kept[-1].end - kept[-1].start):
                kept[-1] = match
            continue
        kept.append(match)
    return kept


class TermMatcher:
    """Finds mentions of named concepts by their regular-expression terms."""

    def __init__(self, concepts: Iterable[tuple[str, str, Sequence[str]]]) -> None:
        """`concepts`: (name, category, terms) triples."""
        self._patterns = [
            (name, category, re.compile("|".join(term_pattern(t) for t in terms), re.IGNORECASE))
            for name, category, terms in concepts
        ]

    def find(self, text: str) -> list[TermMatch]:
        """Non-overlapping concept mentions in text order (longest wins)."""
        matches = [
            TermMatch(name, category, hit.start(), hit.end(), hit.group(0))
            for name, category, pattern in self._patterns
            for hit in pattern.finditer(text)
        ]
        return _drop_overlaps(matches)

    def names(self, text: str) -> set[str]:
        """The set of concept names mentioned in `text`."""
        return {match.name for match in self.find(text)}


def concept_triples(concepts: Iterable[Concept], category: str) -> list[tuple[str, str, list[str]]]:
    """(name, category, terms) triples for a TermMatcher."""
    return [(concept.name, category, concept.terms) for concept in concepts]


@lru_cache(maxsize=1)
def clinical_matcher() -> TermMatcher:
    """Matcher for symptoms, conditions and labs of the clinical lexicon."""
    lexicon = clinical_lexicon()
    return TermMatcher(
        concept_triples(lexicon.symptoms, "symptom")
        + concept_triples(lexicon.conditions, "condition")
        + concept_triples(lexicon.labs, "lab")
    )


class DrugLexicon:
    """Medication names (generic and brand, brands mapped to the generic) and drug-like words."""

    def __init__(self, rules: DrugRules | None = None) -> None:
        rules = rules or drug_rules()
        self.version = rules.version
        self._generic_of: dict[str, str] = {}
        for drug in rules.drugs:
            for name in [drug.generic, *drug.brands]:
                self._generic_of.setdefault(name.lower(), drug.generic)
        names = sorted(self._generic_of, key=len, reverse=True)
        alternatives = "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
        suffixes = "|".join(re.escape(suffix) for suffix in rules.suffixes)
        self._drug_like = re.compile(rf"\b[a-z]{{3,}}(?:{suffixes})\b", re.IGNORECASE)
        self._not_drugs = {word.lower() for word in rules.not_drugs}

    def generic(self, name: str) -> str | None:
        """The generic for a generic or brand name, or None when unknown."""
        return self._generic_of.get(re.sub(r"\s+", " ", name.lower()))

    def find(self, text: str) -> list[TermMatch]:
        """Known medication mentions; `name` is the generic."""
        return [
            TermMatch(
                self._generic_of[re.sub(r"\s+", " ", hit.group(0).lower())],
                "drug",
                hit.start(),
                hit.end(),
                hit.group(0),
            )
            for hit in self._pattern.finditer(text)
        ]

    def generics(self, text: str) -> set[str]:
        """Generic names of the medications mentioned in `text`."""
        return {match.name for match in self.find(text)}

    def drug_like(self, text: str) -> list[TermMatch]:
        """Unknown words that look like drug names by their suffix (e.g. 'zyloprilan')."""
        hits = []
        for hit in self._drug_like.finditer(text):
            word = hit.group(0).lower()
            if word not in self._generic_of and word not in self._not_drugs:
                hits.append(TermMatch(word, "drug-like", hit.start(), hit.end(), hit.group(0)))
        return hits


@lru_cache(maxsize=1)
def default_drug_lexicon() -> DrugLexicon:
    """The package's drug lexicon (compiled once per process)."""
    return DrugLexicon()
