"""Frozen values the coding engine hands to its callers (job handler, API, CLI).

No database or web imports: the service layer stores and serves these shapes as they are.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from scribe.contracts import Draft, PatientContext, Provenance, Transcript

SuggestionKind = Literal["supported", "undocumented", "specificity", "recapture", "unsupported"]
"""What the clinician or coder is asked to do with a suggestion.

- supported: the note documents the condition with at least one MEAT element; code it.
- undocumented: evidence elsewhere (transcript, medications, labs, a bare note mention) but the
  note does not address it; ask neutrally.
- specificity: the documentation supports a more specific code than the note states; ask.
- recapture: a prior-year condition not documented at this encounter; ask.
- unsupported: a problem-list or claims condition this encounter does not support; suggest
  removal or "not addressed" (two-way review).
"""

EvidenceSource = Literal[
    "note_sentence",
    "transcript_segment",
    "medication",
    "lab",
    "vital",
    "prior_year",
    "problem_list",
]
MeatKind = Literal["M", "E", "A", "T"]
ContextFlag = Literal["negated", "historical", "family", "hypothetical", "uncertain", "question"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceItem(_Frozen):
    """Where a piece of evidence sits.

    Offsets are end-exclusive character offsets into the text of the unit named by `ref`:
    the transcript segment (ref = segment id), the Draft note sentence (ref = sentence id), the
    whole plain-text note (ref = "note"), or the patient-context entry (ref = its index).
    """

    source: EvidenceSource
    ref: str
    start: int | None = None
    end: int | None = None
    quote: str


class MeatElement(_Frozen):
    """One Monitor / Evaluate / Assess / Treat element found for a documented condition."""

    kind: MeatKind
    cue: str
    evidence: EvidenceItem


class Suggestion(_Frozen):
    """One coding suggestion for one encounter, with everything an auditor asks for."""

    id: str
    kind: SuggestionKind
    family: str
    label: str
    icd10: str | None
    description: str
    alternatives: tuple[str, ...] = ()
    hcc_v28: tuple[str, ...] = ()
    hcc_v28_labels: tuple[str, ...] = ()
    hcc_v24: tuple[str, ...] = ()
    hcc_v24_labels: tuple[str, ...] = ()
    raf_delta_v28: float | None = None
    raf_delta_v24: float | None = None
    evidence: tuple[EvidenceItem, ...] = ()
    meat: tuple[MeatElement, ...] = ()
    context_flags: tuple[ContextFlag, ...] = ()
    section: str | None = None
    rule_id: str
    rules_version: str
    code_set_year: str
    confidence: float = Field(ge=0.0, le=1.0)
    query_text: str | None = None


class SuggestionReport(_Frozen):
    """All suggestions for one encounter, with the risk scores before and after."""

    encounter_id: str | None = None
    date_of_service: date
    code_set_year: str
    payment_year: int
    suggestions: tuple[Suggestion, ...]
    raf_before_v28: float | None = None
    raf_after_v28: float | None = None
    raf_before_v24: float | None = None
    raf_after_v24: float | None = None
    hccs_after_v28: tuple[str, ...] = ()
    hccs_after_v24: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    provenance: Provenance

    def of_kind(self, kind: SuggestionKind) -> list[Suggestion]:
        """The suggestions of one kind, in report order."""
        return [item for item in self.suggestions if item.kind == kind]

    def coded(self) -> list[str]:
        """ICD-10-CM codes of the `supported` suggestions (what the note supports)."""
        return [item.icd10 for item in self.of_kind("supported") if item.icd10]


class EngineInput(_Frozen):
    """What the engine reads for one encounter: the note and/or the transcript."""

    note: str | Draft | None = None
    transcript: Transcript | None = None


class ConditionSuggester(Protocol):
    """Turns one encounter's documentation into coding suggestions."""

    def suggest(
        self,
        *,
        transcript: Transcript | None,
        note: str | Draft | None,
        patient: PatientContext | None,
        date_of_service: date,
        encounter_id: str | None = None,
    ) -> SuggestionReport:
        """Return the suggestions for one encounter."""
        ...
