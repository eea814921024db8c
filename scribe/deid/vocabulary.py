"""Word-level knowledge shared by the recognizers: names, English words and clinical terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scribe.deid.config import DeidConfig

_CONTRACTION = re.compile(r"^[a-z]*['\u2019](?:re|ve|ll|d|t|m)$|^[a-z]+n['\u2019]t$")
_SUFFIXES = (
    "itis",
    "osis",
    "emia",
    "ectomy",
    "otomy",
    "ostomy",
    "plasty",
    "scopy",
    "gram",
    "graphy",
    "pathy",
    "algia",
    "uria",
    "penia",
    "cytosis",
    "megaly",
    "pril",
    "sartan",
    "olol",
    "statin",
    "mab",
    "nib",
    "azole",
    "cillin",
    "mycin",
    "floxacin",
    "cycline",
    "vir",
    "pam",
    "lam",
    "tidine",
    "prazole",
    "dronate",
    "gliptin",
    "glitazone",
    "parin",
    "xaban",
    "semide",
    "thiazide",
    "afil",
    "setron",
    "triptan",
    "caine",
)


@dataclass(frozen=True)
class Vocabulary:
    """Lower-case word sets with the questions the recognizers ask of a word."""

    first_names: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]
    clinical: frozenset[str]
    never: frozenset[str]
    places: frozenset[str]
    prefer_name: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: DeidConfig) -> Vocabulary:
        """Build the word sets from the loaded configuration."""
        clinical = config.clinical
        terms = {word.lower() for word in clinical.drugs + clinical.abbreviations}
        terms |= {word.lower() for word in clinical.clinical_words}
        return cls(
            first_names=config.lexicons.first_names,
            surnames=config.lexicons.surnames,
            english=config.lexicons.english_words,
            clinical=frozenset(terms),
            never=frozenset(word.lower() for word in config.names.never),
            places=frozenset(p.lower() for p in config.places.cities + config.places.states),
            prefer_name=frozenset(word.lower() for word in config.names.prefer_name),
        )

    def is_name(self, word: str) -> bool:
        """In the first-name or surname list."""
        lower = word.lower()
        return lower in self.first_names or lower in self.surnames

    def is_english(self, word: str) -> bool:
        """A common English word (including simple plural and possessive forms)."""
        lower = word.lower().replace("\u2019", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        return lower in self.english and lower not in self.prefer_name

    def in_clinical_lists(self, word: str) -> bool:
        """A listed drug, clinical abbreviation or clinical word."""
        lower = word.lower().replace("\u2019", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        return lower in self.clinical

    def is_clinical(self, word: str) -> bool:
        """A listed clinical term, or an unlisted word shaped like one ("-itis", "-olol")."""
        if self.in_clinical_lists(word):
            return True
        lower = word.lower()
        if self.is_name(lower):
            return False
        return len(lower) > 5 and lower.endswith(_SUFFIXES)

    def is_common(self, word: str) -> bool:
        """A word that is not a name by itself: English, clinical or in the never list.

        A hyphenated word is common when any part is common and not a name ("by-started").
        """
        lower = word.lower()
        if "-" in lower and not self.is_name(lower):
            return any(self._common_part(part) for part in lower.split("-") if part)
        return self._common_part(lower)

    def _common_part(self, lower: str) -> bool:
        if _CONTRACTION.match(lower):
            return True
        if self.is_name(lower) and lower not in self.never:
            return self.is_english(lower) or lower in self.clinical
        return lower in self.never or self.is_english(lower) or self.is_clinical(lower)

    def is_unambiguous_name(self, word: str) -> bool:
        """In a name list and not also an English or clinical word."""
        return self.is_name(word) and not self.is_common(word)
