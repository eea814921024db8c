"""Schemas of the coding rules files (`coding/rules/*.json`); unknown keys are rejected."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"


class Strict(BaseModel):
    """Frozen model with unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def check_regex(pattern: str) -> str:
    """Compile a regular expression or raise a ValueError naming it."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


class RulesFile(Strict):
    """Fields every rules file has."""

    version: str = Field(min_length=1)
    description: str = ""


# --- manifest.json --------------------------------------------------------------------------


class Manifest(RulesFile):
    """The rule set's version and the version each file must carry."""

    files: dict[str, str]


# --- conditions.json ------------------------------------------------------------------------


class Family(Strict):
    """A condition family: the unit used to decide 'is this condition documented?'."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    code_patterns: list[str] = Field(min_length=1)

    @field_validator("code_patterns")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]


class Qualifier(Strict):
    """A word near a condition mention that selects a more specific code."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    patterns: list[str] = Field(min_length=1)
    after_only: list[str] = Field(default_factory=list)

    @field_validator("patterns", "after_only")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]


class Variant(Strict):
    """When all `qualifiers` are present, the mention takes `code` instead of the base code."""

    qualifiers: list[str] = Field(min_length=1)
    code: str
    extra_codes: list[str] = Field(default_factory=list)


class ConditionRule(Strict):
    """A target rule for one condition: its words, its family and its ICD-10-CM code."""

    rule_id: str = Field(pattern=RULE_ID)
    family: str
    label: str
    patterns: list[str] = Field(min_length=1)
    code: str | None
    extra_codes: list[str] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    on_historical: Literal["current", "history_code", "ignore"] = "current"
    history_code: str | None = None

    @field_validator("patterns")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]

    @model_validator(mode="after")
    def _history_code_given(self) -> ConditionRule:
        if self.on_historical == "history_code" and not self.history_code:
            raise ValueError(f"{self.rule_id}: on_historical=history_code needs history_code")
        return self


class ConditionRules(RulesFile):
    """Condition families, qualifiers and condition target rules."""

    qualifier_negation: str
    families: list[Family] = Field(min_length=1)
    qualifiers: list[Qualifier]
    conditions: list[ConditionRule] = Field(min_length=1)

    @field_validator("qualifier_negation")
    @classmethod
    def _valid_negation(cls, pattern: str) -> str:
        return check_regex(pattern)


# --- combinations.json ----------------------------------------------------------------------


class Combination(Strict):
    """ICD-10-CM combination convention over the codes a note supports."""

    rule_id: str = Field(pattern=RULE_ID)
    description: str
    when_all: list[str] = Field(min_length=2)
    unless_any: list[str] = Field(default_factory=list)
    add: str | None
    remove: list[str] = Field(default_factory=list)

    @field_validator("when_all", "unless_any", "remove")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]


class CombinationRules(RulesFile):
    """Combination codes applied in order until nothing changes."""

    combinations: list[Combination]


# --- medications.json -----------------------------------------------------------------------


class DrugRule(Strict):
    """A medication, the families it treats, and whether it alone prompts a query."""

    rule_id: str = Field(pattern=RULE_ID)
    name: str
    patterns: list[str] = Field(min_length=1)
    families: list[str] = Field(min_length=1)
    prompt: bool = False
    candidate: str | None = None
    alternatives: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]


class MedicationRules(RulesFile):
    """The medication lexicon."""

    drugs: list[DrugRule] = Field(min_length=1)


# --- labs.json ------------------------------------------------------------------------------


class LabDefinition(Strict):
    """A lab or vital: names it goes by and its LOINC codes."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    aliases: list[str] = Field(min_length=1)
    loinc: list[str] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)


class Band(Strict):
    """A value range [min, max] that selects a code."""

    min: float
    max: float
    code: str


class LabRule(Strict):
    """Values on file that make a documentation prompt (never a code on their own)."""

    rule_id: str = Field(pattern=RULE_ID)
    lab: str
    source: Literal["labs", "vitals"] = "labs"
    below: float | None = None
    at_least: float | None = None
    min_count: int = Field(default=1, ge=1)
    min_days_apart: int = Field(default=0, ge=0)
    family: str
    candidate: str | None = None
    bands: list[Band] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_threshold(self) -> LabRule:
        if (self.below is None) == (self.at_least is None):
            raise ValueError(f"{self.rule_id}: give exactly one of below / at_least")
        if not self.candidate and not self.bands:
            raise ValueError(f"{self.rule_id}: give a candidate code or bands")
        return self


class NoteValueCode(Strict):
    """A value written in the note that adds a code when a related diagnosis is documented."""

    rule_id: str = Field(pattern=RULE_ID)
    lab: str
    requires_family: str
    min_age: int = 0
    pattern: str
    bands: list[Band] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _valid(cls, pattern: str) -> str:
        check_regex(pattern)
        if re.compile(pattern).groups != 1:
            raise ValueError(f"pattern {pattern!r} needs exactly one group (the value)")
        return pattern


class LabRules(RulesFile):
    """Lab and vital definitions and the prompt rules over them."""

    labs: list[LabDefinition] = Field(min_length=1)
    rules: list[LabRule]
    note_value_codes: list[NoteValueCode] = Field(default_factory=list)


# --- specificity.json -----------------------------------------------------------------------


class SpecificityRule(Strict):
    """Evidence that documentation could be more specific than a documented code."""

    rule_id: str = Field(pattern=RULE_ID)
    family: str
    label: str
    applies_to: list[str] = Field(min_length=1)
    unless_any: list[str] = Field(default_factory=list)
    signals: list[str] = Field(default_factory=list)
    signal_families: list[str] = Field(default_factory=list)
    lab_rule: str | None = None
    candidate: str | None = None
    alternatives: list[str] = Field(default_factory=list)
    template: str

    @field_validator("applies_to", "unless_any", "signals")
    @classmethod
    def _valid(cls, patterns: list[str]) -> list[str]:
        return [check_regex(item) for item in patterns]

    @model_validator(mode="after")
    def _has_evidence(self) -> SpecificityRule:
        if not self.signals and not self.lab_rule and not self.signal_families:
            raise ValueError(f"{self.rule_id}: give signals or a lab_rule")
        return self


class SpecificityRules(RulesFile):
    """Specificity prompts."""

    rules: list[SpecificityRule]
