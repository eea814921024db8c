"""Rule and vocabulary files of the drafting package: schemas and validated, cached loading.

Every file lives in `scribe/drafting/rules/`, carries a `version` (recorded in provenance) and is
validated on load with unknown keys rejected, so a clinical reviewer's typo fails loudly.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RULES_PACKAGE = "scribe.drafting.rules"
_V = TypeVar("_V")


class RulesError(ValueError):
    """A rules file is missing, malformed or fails validation."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return patterns


class RulesFile(_Strict):
    """Fields every rules file has."""

    version: str = Field(min_length=1)
    description: str = ""


# --- language.json -----------------------------------------------------------------------------


class LanguageRules(RulesFile):
    """Spoken-English clean-up, number words and stopwords."""

    token_fixes: list[tuple[str, str]]
    fillers: list[tuple[str, str]]
    units: list[tuple[str, str]]
    number_words: dict[str, int]
    stopwords: list[str]

    @field_validator("token_fixes", "fillers", "units")
    @classmethod
    def _valid_pairs(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        _check_patterns([pattern for pattern, _ in pairs])
        return pairs


# --- clinical_lexicon.json -----------------------------------------------------------------------


class Concept(_Strict):
    """A named concept and the regular-expression terms that mention it."""

    name: str
    display: str | None = None
    terms: list[str] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _valid_terms(cls, terms: list[str]) -> list[str]:
        return _check_patterns(terms)

    @property
    def label(self) -> str:
        """How the concept is written in a note."""
        return self.display or self.name


class Symptom(Concept):
    """A symptom with its review-of-systems system."""

    system: str


class ClinicalLexicon(RulesFile):
    """Symptoms, conditions, labs and exam/result vocabulary."""

    symptoms: list[Symptom]
    conditions: list[Concept]
    labs: list[Concept]
    exam_terms: list[str]
    result_terms: list[str]
    body_parts: list[str]

    @field_validator("exam_terms", "result_terms")
    @classmethod
    def _valid_vocab(cls, terms: list[str]) -> list[str]:
        return _check_patterns(terms)


# --- drug_lexicon.json ---------------------------------------------------------------------------


class Drug(_Strict):
    """A generic medication and its brand names."""

    generic: str
    brands: list[str] = Field(default_factory=list)


class DrugRules(RulesFile):
    """The medication lexicon."""

    suffixes: list[str]
    not_drugs: list[str]
    drugs: list[Drug] = Field(min_length=1)


# --- grounded_rules.json -------------------------------------------------------------------------


TEMPLATE_KEYS = frozenset(
    {
        "chief_complaint",
        "patient_statement",
        "patient_object",
        "patient_subject",
        "medications_current",
        "allergies",
        "no_allergies",
        "ros_line",
        "ros_endorses",
        "ros_denies",
        "order",
        "referral",
        "follow_up",
        "instruction",
        "problem",
    }
)
LIMIT_KEYS = frozenset(
    {
        "hpi_statements",
        "exam_sentences",
        "result_sentences",
        "plan_sentences",
        "min_words",
        "max_words",
        "long_sentence_words",
    }
)


def _exact_keys(field: str, values: dict[str, _V], expected: frozenset[str]) -> dict[str, _V]:
    missing, unknown = expected - set(values), set(values) - expected
    if missing or unknown:
        raise ValueError(f"{field}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return values


class MedicationAction(_Strict):
    """A medication verb pattern and the note template it produces."""

    action: str
    pattern: str
    template: str


class GroundedRules(RulesFile):
    """Dialogue cues, extraction patterns and sentence templates of the grounded drafter."""

    ignore_patterns: list[str]
    question_pattern: str
    question_tag_pattern: str
    wake_word_pattern: str
    split_pattern: str
    negative_answer: str
    positive_answer: str
    region_cues: dict[str, list[str]]
    intro_pattern: str
    intro_rewrites: list[tuple[str, str]]
    chief_complaint_patterns: list[str]
    chief_complaint_trim: list[str]
    medication_actions: list[MedicationAction]
    current_medication_pattern: str
    not_current_pattern: str
    frequencies: list[tuple[str, str]]
    allergy_patterns: list[str]
    allergens: list[str]
    no_allergy_pattern: str
    allergy_question_pattern: str
    vital_patterns: list[tuple[str, str]]
    order_pattern: str
    referral_pattern: str
    follow_up_pattern: str
    instruction_patterns: list[str]
    plan_statement_pattern: str
    problem_cue_pattern: str
    clinician_rewrites: list[tuple[str, str]]
    statement_lead_ins: list[str]
    statement_object_pattern: str
    patient_pronouns: list[tuple[str, str]]
    hpi_pattern: str
    context_rules: list[dict[str, str]]
    templates: dict[str, str]
    limits: dict[str, int]

    @field_validator(
        "ignore_patterns",
        "chief_complaint_patterns",
        "chief_complaint_trim",
        "allergy_patterns",
        "instruction_patterns",
        "allergens",
        "statement_lead_ins",
    )
    @classmethod
    def _valid_lists(cls, patterns: list[str]) -> list[str]:
        return _check_patterns(patterns)

    @field_validator(
        "question_pattern",
        "question_tag_pattern",
        "wake_word_pattern",
        "split_pattern",
        "negative_answer",
        "positive_answer",
        "intro_pattern",
        "current_medication_pattern",
        "not_current_pattern",
        "no_allergy_pattern",
        "allergy_question_pattern",
        "referral_pattern",
        "follow_up_pattern",
        "plan_statement_pattern",
        "problem_cue_pattern",
        "hpi_pattern",
        "statement_object_pattern",
    )
    @classmethod
    def _valid_pattern(cls, pattern: str) -> str:
        _check_patterns([pattern])
        return pattern

    @field_validator(
        "frequencies", "vital_patterns", "clinician_rewrites", "patient_pronouns", "intro_rewrites"
    )
    @classmethod
    def _valid_pairs(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        _check_patterns([pattern for pattern, _ in pairs])
        return pairs

    @field_validator("region_cues")
    @classmethod
    def _valid_regions(cls, cues: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = set(cues) - {"exam", "results", "plan"}
        if unknown:
            raise ValueError(f"unknown regions {sorted(unknown)}")
        for patterns in cues.values():
            _check_patterns(patterns)
        return cues

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, templates: dict[str, str]) -> dict[str, str]:
        return _exact_keys("templates", templates, TEMPLATE_KEYS)

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, limits: dict[str, int]) -> dict[str, int]:
        return _exact_keys("limits", limits, LIMIT_KEYS)

    def template(self, key: str) -> str:
        """A sentence template by key (raises RulesError naming a missing one)."""
        try:
            return self.templates[key]
        except KeyError as exc:
            raise RulesError(f"grounded_rules.json has no template {key!r}") from exc

    def limit(self, key: str) -> int:
        """A numeric limit by key (raises RulesError naming a missing one)."""
        try:
            return self.limits[key]
        except KeyError as exc:
            raise RulesError(f"grounded_rules.json has no limit {key!r}") from exc


# --- loading -----------------------------------------------------------------------------------

_Model = TypeVar("_Model", bound=RulesFile)


def load_rules_file(filename: str, schema: type[_Model]) -> _Model:
    """Read and validate one rules file of the package (not cached)."""
    try:
        text = resources.files(RULES_PACKAGE).joinpath(filename).read_text("utf-8")
        return schema.model_validate(json.loads(text))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise RulesError(f"rules file {filename!r} is invalid: {exc}") from exc


@lru_cache(maxsize=1)
def language_rules() -> LanguageRules:
    """The validated `language.json` (loaded once per process)."""
    return load_rules_file("language.json", LanguageRules)


@lru_cache(maxsize=1)
def clinical_lexicon() -> ClinicalLexicon:
    """The validated `clinical_lexicon.json` (loaded once per process)."""
    return load_rules_file("clinical_lexicon.json", ClinicalLexicon)


@lru_cache(maxsize=1)
def drug_rules() -> DrugRules:
    """The validated `drug_lexicon.json` (loaded once per process)."""
    return load_rules_file("drug_lexicon.json", DrugRules)


@lru_cache(maxsize=1)
def grounded_rules() -> GroundedRules:
    """The validated `grounded_rules.json` (loaded once per process)."""
    return load_rules_file("grounded_rules.json", GroundedRules)


def rules_version() -> str:
    """The combined version string of every rules file, for provenance."""
    parts = [
        f"grounded={grounded_rules().version}",
        f"clinical={clinical_lexicon().version}",
        f"drugs={drug_rules().version}",
        f"language={language_rules().version}",
    ]
    return ";".join(parts)
