"""What a transcript (or one segment) states, in the forms the faithfulness checks compare."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from scribe.drafting.lexicon import DrugLexicon, term_pattern
from scribe.drafting.rulebook import clinical_lexicon
from scribe.drafting.text import SpokenCleaner, format_number

_NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w])")
_DOSE = re.compile(
    r"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mg|mcg|g|ml|units?|iu)\b", re.IGNORECASE
)
DOSE_WINDOW = 60
_SIDE = {
    "left": "left",
    "right": "right",
    "bilateral": "bilateral",
    "bilaterally": "bilateral",
    "both": "bilateral",
}


@dataclass(frozen=True)
class Dose:
    """A dose as value and canonical unit."""

    value: str
    unit: str
    start: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


@dataclass(frozen=True)
class Statements:
    """Drugs, doses, numbers, sides and words stated in a piece of text."""

    drugs: frozenset[str]
    doses: frozenset[Dose]
    drug_doses: frozenset[tuple[str, Dose]]
    numbers: frozenset[str]
    sides: frozenset[tuple[str, str]]
    words: frozenset[str]


class StatementReader:
    """Reads the comparable statements out of text (transcript or note)."""

    def __init__(self, drugs: DrugLexicon, cleaner: SpokenCleaner) -> None:
        self._drugs = drugs
        self._cleaner = cleaner
        self._sides = _side_pattern()

    def normalise(self, text: str) -> str:
        """Spoken clean-up (digits, units) without changing wording otherwise."""
        return self._cleaner.normalise(text)

    def read(self, text: str) -> Statements:
        """Statements in `text`."""
        tidy = self.normalise(text)
        return Statements(
            drugs=frozenset(self._drugs.generics(tidy)),
            doses=frozenset(doses_in(tidy)),
            drug_doses=frozenset(self.drug_doses(tidy)),
            numbers=frozenset(numbers_in_tidy(tidy)),
            sides=frozenset(self.sides(tidy)),
            words=frozenset(re.findall(r"[a-z0-9]+", tidy.lower())),
        )

    def drug_doses(self, tidy: str) -> list[tuple[str, Dose]]:
        """(generic, dose) pairs: each dose said after a drug and before the next drug."""
        found = self._drugs.find(tidy)
        pairs = []
        for position, drug in enumerate(found):
            end = found[position + 1].start if position + 1 < len(found) else len(tidy)
            window = tidy[drug.end : min(end, drug.end + DOSE_WINDOW)]
            pairs += [(drug.name, dose) for dose in doses_in(window)]
        return pairs

    def sides(self, tidy: str) -> list[tuple[str, str]]:
        """(side, body part) pairs such as ("left", "knee")."""
        pairs = []
        for match in self._sides.finditer(tidy):
            side = match.group("side") or match.group("after")
            part = match.group("part") or match.group("part2")
            if side and part:
                pairs.append((_SIDE[side.lower()], _singular(part.lower())))
        return pairs


def doses_in(tidy: str) -> list[Dose]:
    """Doses in cleaned text."""
    found = []
    for match in _DOSE.finditer(tidy):
        unit = match.group("unit").lower()
        unit = "units" if unit.startswith("unit") or unit == "iu" else unit
        found.append(Dose(format_number(match.group("value")), unit, match.start()))
    return found


def numbers_in_tidy(tidy: str) -> list[str]:
    """Numbers in cleaned text, canonical."""
    return [format_number(match.group(0)) for match in _NUMBER.finditer(tidy)]


def _singular(part: str) -> str:
    part = re.sub(r"\s+", " ", part)
    if part.endswith("ies"):
        return part[:-3] + "y"
    if part == "feet":
        return "foot"
    return part[:-1] if part.endswith("s") and not part.endswith("ss") else part


@lru_cache(maxsize=1)
def _side_pattern() -> re.Pattern[str]:
    parts = "|".join(term_pattern(part) for part in clinical_lexicon().body_parts)
    return re.compile(
        rf"\b(?P<side>left|right|bilateral|both)\s+(?:[a-z]+\s+){{0,2}}?(?P<part>{parts})"
        rf"|(?P<part2>{parts})\s+(?:[a-z]+\s+){{0,1}}?(?P<after>bilaterally)\b",
        re.IGNORECASE,
    )
