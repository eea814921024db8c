"""The clinical vocabulary that biases the recogniser, and the hotword string built from it.

The terms live in `data/clinical_vocabulary.json` (`version`, `terms`, `icd10_terms`), validated
on load with unknown keys rejected. Whisper reads at most 223 hotword tokens and a long prompt
slows every decoding window, so the string is capped and the patient's own medications and
problems go first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "DEFAULT_HOTWORD_CHARS",
    "ClinicalVocabulary",
    "VocabularyError",
    "build_hotwords",
    "load_vocabulary",
    "parse_vocabulary",
    "patient_terms",
    "visit_hotwords",
]

DEFAULT_HOTWORD_CHARS = 300
"""Default cap of the hotword string: about 107 Whisper tokens for drug names (~2.8 characters a
token). Longer prompts (450-600 characters) sent tiny.en into repetition loops more often."""

_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_DOSE = re.compile(
    r"\s+\d[\d.,/]*\s*(?:mg|mcg|micrograms?|milligrams?|g|ml|units?|iu|puffs?|%)(?:\s.*)?$",
    re.IGNORECASE,
)
_DOSE_WORDS = frozenset(
    [
        "mg",
        "mcg",
        "g",
        "ml",
        "units",
        "unit",
        "tablet",
        "tablets",
        "tab",
        "caps",
        "capsule",
        "capsules",
        "puff",
        "puffs",
        "daily",
        "once",
        "twice",
        "nightly",
        "weekly",
        "bid",
        "tid",
        "qid",
        "qd",
        "prn",
        "at",
        "in",
        "every",
        "by",
        "of",
        "er",
        "xr",
        "sr",
    ]
)


class VocabularyError(ValueError):
    """The vocabulary data file is missing, malformed or fails validation."""


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    terms: tuple[str, ...] = Field(min_length=1)
    icd10_terms: dict[str, str] = Field(default_factory=dict)

    @field_validator("terms")
    @classmethod
    def _distinct_terms(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(term.strip() for term in terms)
        if any(not term for term in cleaned):
            raise ValueError("terms must not be blank")
        folded = [term.casefold() for term in cleaned]
        if len(set(folded)) != len(folded):
            raise ValueError("terms must be distinct (case-insensitive)")
        return cleaned

    @field_validator("icd10_terms")
    @classmethod
    def _codes_look_like_icd10(cls, mapping: dict[str, str]) -> dict[str, str]:
        bad = sorted(code for code in mapping if not _ICD10.match(code))
        if bad:
            raise ValueError(f"not ICD-10-CM code prefixes: {bad}")
        if any(not term.strip() for term in mapping.values()):
            raise ValueError("icd10_terms values must not be blank")
        return mapping


@dataclass(frozen=True)
class ClinicalVocabulary:
    """Terms the recogniser should favour, and spoken names for ICD-10-CM code prefixes."""

    version: str
    terms: tuple[str, ...]
    icd10_terms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def term_for_code(self, code: str) -> str | None:
        """Spoken name for an ICD-10-CM code by its longest listed prefix ('I48.91' -> 'I48')."""
        code = code.strip().upper()
        for length in range(len(code), 2, -1):
            term = self.icd10_terms.get(code[:length])
            if term is not None:
                return term
        return None


def parse_vocabulary(raw: str | bytes) -> ClinicalVocabulary:
    """Validate vocabulary JSON text; raises VocabularyError naming the problem."""
    try:
        parsed = _VocabularyFile.model_validate(json.loads(raw))
    except (json.JSONDecodeError, ValidationError) as error:
        raise VocabularyError(f"invalid clinical vocabulary: {error}") from error
    return ClinicalVocabulary(
        version=parsed.version,
        terms=parsed.terms,
        icd10_terms=MappingProxyType(dict(parsed.icd10_terms)),
    )


def load_vocabulary(name: str = "clinical_vocabulary.json") -> ClinicalVocabulary:
    """Load and validate a vocabulary file shipped in `scribe/transcription/data/`."""
    resource = resources.files("scribe.transcription").joinpath("data", name)
    try:
        raw = resource.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise VocabularyError(f"vocabulary file {name!r} is not in the package") from error
    return parse_vocabulary(raw)


def patient_terms(
    vocabulary: ClinicalVocabulary,
    *,
    medications: Iterable[str] = (),
    problems: Iterable[str] = (),
) -> tuple[str, ...]:
    """Hotword terms for one patient: drug names without doses, problems as spoken terms.

    Problems given as ICD-10-CM codes are turned into words through the vocabulary's
    `icd10_terms`; codes it does not know are left out (a code is no help to the recogniser).
    """
    terms = [_drug_name(medication) for medication in medications]
    for problem in problems:
        text = problem.strip()
        if _ICD10.match(text.upper()):
            terms.append(vocabulary.term_for_code(text) or "")
        else:
            terms.append(text)
    return _distinct(term for term in terms if term)


def visit_hotwords(context: Mapping[str, Any], vocabulary: ClinicalVocabulary) -> tuple[str, ...]:
    """Patient-specific terms that bias transcription: drug names and problems as spoken words.

    Problems given as ICD-10-CM codes are turned into words through the clinical vocabulary.
    """
    return patient_terms(
        vocabulary,
        medications=[str(item) for item in context.get("medications") or []],
        problems=[str(item) for item in context.get("problems") or []],
    )


def build_hotwords(
    vocabulary: ClinicalVocabulary,
    patient: Sequence[str] = (),
    *,
    max_chars: int = DEFAULT_HOTWORD_CHARS,
) -> str:
    """Comma-separated hotwords: patient terms first, then vocabulary terms, within `max_chars`."""
    chosen: list[str] = []
    length = 0
    for term in _distinct([*(_strip_dose(term) for term in patient), *vocabulary.terms]):
        added = len(term) + (2 if chosen else 0)
        if length + added > max_chars:
            continue
        chosen.append(term)
        length += added
    return ", ".join(chosen)


def _strip_dose(term: str) -> str:
    """'metformin 1000 mg twice daily' -> 'metformin'; 'type 2 diabetes' is left alone."""
    return _DOSE.sub("", term).strip(" ,.")


def _drug_name(medication: str) -> str:
    """'metformin 1000 mg twice daily' -> 'metformin'; 'insulin glargine 20 units' kept whole."""
    words: list[str] = []
    for word in medication.split():
        if any(char.isdigit() for char in word) or word.casefold().strip(".,") in _DOSE_WORDS:
            break
        words.append(word)
    return " ".join(words).strip(" ,.")


def _distinct(terms: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for term in terms:
        key = term.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(term.strip())
    return tuple(kept)
