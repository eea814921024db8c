"""Schemas of the note-structure rules: sections, ConText, MEAT cues, queries and policy."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from coding.rule_schemas import RULE_ID, RulesFile, Strict, check_regex

# --- sections.json --------------------------------------------------------------------------


class SectionRule(Strict):
    """Header words that open a note section of one category."""

    category: str = Field(pattern=r"^[a-z_]+$")
    headers: list[str] = Field(min_length=1)


class SectionRules(RulesFile):
    """Note section headers and how sections affect assertion."""

    history_sections: list[str]
    family_sections: list[str]
    sections: list[SectionRule] = Field(min_length=1)


# --- context.json ---------------------------------------------------------------------------

ContextCategory = Literal[
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
    "TERMINATE",
    "PSEUDO",
]


class ContextRule(Strict):
    """A ConText modifier: trigger words, what they mean and which way they reach."""

    rule_id: str = Field(pattern=RULE_ID)
    category: ContextCategory
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    literals: list[str] = Field(default_factory=list)
    pattern: str | None = None
    max_scope: int | None = Field(default=None, ge=1)
    allowed_families: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_trigger_kind(self) -> ContextRule:
        if bool(self.literals) == bool(self.pattern):
            raise ValueError(f"{self.rule_id}: give either literals or pattern")
        if self.pattern:
            check_regex(self.pattern)
        return self


class ContextRules(RulesFile):
    """ConText modifier rules."""

    terminating_types: dict[str, list[str]]
    presupposing_question: str | None = None
    uncertain_prefix: str | None = None
    rules: list[ContextRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _valid_patterns(self) -> ContextRules:
        for pattern in (self.presupposing_question, self.uncertain_prefix):
            if pattern:
                check_regex(pattern)
        return self


# --- meat.json ------------------------------------------------------------------------------


class MeatCue(Strict):
    """Words that show one MEAT element."""

    kind: Literal["M", "E", "A", "T"]
    name: str
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]


class MeatRules(RulesFile):
    """The MEAT cue lexicon and the note sections where MEAT may be found."""

    meat_sections: list[str] = Field(min_length=1)
    scope_stop_patterns: list[str]
    listing_context_rules: list[str] = Field(default_factory=list)
    listing_cue_kinds: list[Literal["M", "E", "A", "T"]] = Field(default_factory=list)
    cues: list[MeatCue] = Field(min_length=1)


# --- queries.json ---------------------------------------------------------------------------

PLACEHOLDERS = {"label", "quote", "source", "medication", "values", "section", "code"}


class QueryRules(RulesFile):
    """Neutral clinician query templates and the words a query must never use."""

    banned_terms: list[str] = Field(min_length=1)
    templates: dict[str, str] = Field(min_length=1)

    @model_validator(mode="after")
    def _neutral_and_known(self) -> QueryRules:
        for name, text in self.templates.items():
            fields = {field for _, field, _, _ in string.Formatter().parse(text) if field}
            unknown = fields - PLACEHOLDERS
            if unknown:
                raise ValueError(f"template {name!r} uses unknown placeholders {sorted(unknown)}")
            lowered = text.lower()
            for term in self.banned_terms:
                if term.lower() in lowered:
                    raise ValueError(f"template {name!r} uses the banned term {term!r}")
        return self


# --- policy.json ----------------------------------------------------------------------------


class Policy(RulesFile):
    """Limits, confidence values and scopes of the engine."""

    max_text_chars: int = Field(ge=1000)
    prompt_scope: Literal["hcc", "all"]
    unsupported_scope: Literal["hcc", "all"]
    confidence: dict[str, float]
    supported_confidence_per_meat_kind: float = Field(ge=0.0, le=0.2)

    @field_validator("confidence")
    @classmethod
    def _in_range(cls, values: dict[str, float]) -> dict[str, float]:
        for key, value in values.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"confidence {key!r}={value} is outside 0..1")
        return values
