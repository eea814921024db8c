"""Configuration of the de-identifier: YAML files inside the package, validated on load.

Every file carries a `version`; unknown keys are rejected so that a typo fails loudly instead of
silently changing what gets redacted. Nothing here falls back to Presidio's defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scribe.deid.errors import DeidConfigError

DATA_PACKAGE = "scribe.deid.data"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _compile_check(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern[:60]!r}: {exc}") from exc
    return pattern


class EntitySpec(_Strict):
    """How one entity type is shown as a tag and grouped in reports."""

    tag: str
    group: str


class NlpSpec(_Strict):
    """The spaCy pipeline: excluded components and which NER labels are used."""

    exclude: list[str] = Field(default_factory=list)
    ner_scope: Literal["candidate_lines", "all"]
    ner_labels: dict[str, str]
    ignored_labels: list[str]


class PropagationSpec(_Strict):
    """Flagging other occurrences of a detected name or place in the same text."""

    entities: list[str]
    min_score: float = Field(ge=0, le=1)
    min_length: int = Field(ge=1)
    acronym_min_length: int = Field(ge=1)
    score: float = Field(ge=0, le=1)


class EngineConfig(_Strict):
    """`deid.yaml`: the engine."""

    version: str = Field(min_length=1)
    description: str = ""
    language: str
    score_threshold: float = Field(ge=0, le=1)
    max_chars: int = Field(ge=1000)
    nlp: NlpSpec
    entities: dict[str, EntitySpec]
    priority: list[str]
    propagation: PropagationSpec
    lexicons: dict[str, str]
    rules: dict[str, str]


class PatternSpec(_Strict):
    """One regular-expression recognizer."""

    name: str
    entity: str
    score: float = Field(ge=0, le=1)
    regex: str
    case_sensitive: bool = False
    require_before: str | None = None
    reject_before: str | None = None
    reject_after: str | None = None
    reject_values: list[str] = Field(default_factory=list)
    keep_before: str | None = None
    requires_any: list[str] = Field(default_factory=list)
    window: int = Field(default=40, ge=1, le=400)

    @field_validator("regex", "require_before", "reject_before", "reject_after", "keep_before")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        return None if value is None else _compile_check(value)


class PatternsConfig(_Strict):
    """`patterns.yaml`."""

    version: str
    recognizers: list[PatternSpec]


class NameScores(_Strict):
    """Scores of the name recognizer's kinds of evidence."""

    title: float
    role: float
    relation: float
    weak: float
    after: float
    full_name: float
    first_name_alone: float
    surname_alone: float
    ner: float


class NamesConfig(_Strict):
    """`names.yaml`."""

    version: str
    titles: list[str]
    roles_before: list[str]
    relations: list[str]
    introductions: list[str]
    weak_before: list[str]
    after: list[str]
    never: list[str]
    spelled_titles: list[str]
    credentials: list[str]
    prefer_name: list[str]
    allow_initials: bool
    max_tokens: int = Field(ge=1, le=8)
    scores: NameScores


class PlacesConfig(_Strict):
    """`places.yaml`."""

    version: str
    redact_states: bool
    state_score: float
    states: list[str]
    state_abbreviations: list[str]
    city_score: float
    cities: list[str]
    facility_suffixes: list[str]
    facility_name_words: list[str]
    place_name_words: list[str]
    place_prefix_words: list[str]
    place_before: list[str]
    facility_before: list[str]
    not_places: list[str]


class RunContext(_Strict):
    """Context words that make a following run of digits and letters an identifier."""

    entity: str
    min_digits: int = Field(ge=1)
    words: list[str]


class SpokenScores(_Strict):
    """Scores of spoken-form detections."""

    spoken_date: float
    spoken_phone: float
    spoken_run: float
    spoken_age: float
    spoken_address: float
    spoken_email: float


class SpokenConfig(_Strict):
    """`spoken.yaml`."""

    version: str
    digits: dict[str, int]
    teens: dict[str, int]
    tens: dict[str, int]
    scales: dict[str, int]
    repeaters: dict[str, int]
    ordinals: dict[str, int]
    months: dict[str, int]
    phone_min_digits: int
    run_contexts: list[RunContext]
    date_contexts: list[str]
    context_window_words: int
    scores: SpokenScores


class ClinicalConfig(_Strict):
    """`clinical.yaml`: vocabulary that is never PHI on its own."""

    version: str
    drugs: list[str]
    abbreviations: list[str]
    clinical_words: list[str]
    allow_patterns: list[str]

    @field_validator("allow_patterns")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [_compile_check(pattern) for pattern in patterns]


class SurrogatesConfig(_Strict):
    """`surrogates.yaml`: pools of invented values."""

    version: str
    first_names: list[str] = Field(min_length=10)
    surnames: list[str] = Field(min_length=10)
    towns: list[str] = Field(min_length=5)
    streets: list[str] = Field(min_length=5)
    street_suffixes: list[str] = Field(min_length=1)
    facilities: list[str] = Field(min_length=5)
    email_domain: str
    url_base: str


@dataclass(frozen=True)
class Lexicons:
    """Word lists (lower case)."""

    first_names: frozenset[str]
    surnames: frozenset[str]
    english_words: frozenset[str]


@dataclass(frozen=True)
class DeidConfig:
    """Everything the de-identifier is built from, with one combined version string."""

    engine: EngineConfig
    patterns: PatternsConfig
    names: NamesConfig
    places: PlacesConfig
    spoken: SpokenConfig
    clinical: ClinicalConfig
    surrogates: SurrogatesConfig
    lexicons: Lexicons

    @property
    def version(self) -> str:
        """The rules version recorded on every output."""
        return self.engine.version


def _read_text(name: str) -> str:
    try:
        return resources.files(DATA_PACKAGE).joinpath(name).read_text("utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise DeidConfigError(f"de-identification data file {name!r} is missing: {exc}") from exc


def _load_yaml(name: str, model: type[BaseModel]) -> Any:
    try:
        raw = yaml.load(_read_text(name), Loader=_LOADER)  # noqa: S506 - a safe loader
        return model.model_validate(raw)
    except yaml.YAMLError as exc:
        raise DeidConfigError(f"{name}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise DeidConfigError(f"{name}: {exc}") from exc


def _load_wordlist(name: str) -> frozenset[str]:
    words = frozenset(
        line.strip().lower()
        for line in _read_text(name).splitlines()
        if line.strip() and not line.startswith("#")
    )
    if not words:
        raise DeidConfigError(f"word list {name!r} is empty")
    return words


def _check_entities(config: DeidConfig) -> None:
    known = set(config.engine.entities)
    used = {spec.entity for spec in config.patterns.recognizers}
    used |= {ctx.entity for ctx in config.spoken.run_contexts}
    used |= set(config.engine.priority) | set(config.engine.nlp.ner_labels.values())
    used |= set(config.engine.propagation.entities)
    unknown = used - known
    if unknown:
        raise DeidConfigError(f"entities used but not declared in deid.yaml: {sorted(unknown)}")
    missing = known - set(config.engine.priority)
    if missing:
        raise DeidConfigError(f"deid.yaml priority is missing entities: {sorted(missing)}")


@lru_cache(maxsize=1)
def load_config() -> DeidConfig:
    """Read and validate every de-identification file once per process."""
    engine = _load_yaml("deid.yaml", EngineConfig)
    required = {"first_names", "surnames", "english_words"}
    if set(engine.lexicons) != required:
        raise DeidConfigError(f"deid.yaml lexicons must be exactly {sorted(required)}")
    rules = engine.rules
    config = DeidConfig(
        engine=engine,
        patterns=_load_yaml(rules["patterns"], PatternsConfig),
        names=_load_yaml(rules["names"], NamesConfig),
        places=_load_yaml(rules["places"], PlacesConfig),
        spoken=_load_yaml(rules["spoken"], SpokenConfig),
        clinical=_load_yaml(rules["clinical"], ClinicalConfig),
        surrogates=_load_yaml(rules["surrogates"], SurrogatesConfig),
        lexicons=Lexicons(
            first_names=_load_wordlist(engine.lexicons["first_names"]),
            surnames=_load_wordlist(engine.lexicons["surnames"]),
            english_words=_load_wordlist(engine.lexicons["english_words"]),
        ),
    )
    _check_entities(config)
    return config
