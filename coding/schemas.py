"""API shapes of coding suggestions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ReviewStatus = Literal["open", "accepted", "rejected", "deferred", "queried"]


class SuggestionPublic(BaseModel):
    """A stored suggestion: the engine's full output plus its review status."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    encounter_id: str
    note_id: str | None
    note_version: int | None
    kind: str
    icd10: str | None
    description: str
    hcc_v28: str | None
    hcc_v24: str | None
    raf_delta_v28: float | None
    raf_delta_v24: float | None
    confidence: float
    rules_version: str
    code_set_year: str
    status: str
    status_reason: str | None
    status_by: str | None
    status_at: datetime | None
    created_at: datetime
    payload: dict[str, Any] = Field(description="evidence, MEAT, ConText flags, query text")


class SuggestionPage(BaseModel):
    """One page of the coder queue."""

    total: int
    limit: int
    offset: int
    items: list[SuggestionPublic]
    next_cursor: str | None = Field(
        default=None, description="pass as `after` for the next page (keyset paging)"
    )


class SuggestionStatusUpdate(BaseModel):
    """A review decision; rejecting, deferring or querying needs a reason."""

    model_config = ConfigDict(extra="forbid")

    status: ReviewStatus
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_when_needed(self) -> SuggestionStatusUpdate:
        if self.status in ("rejected", "deferred", "queried") and not (self.reason or "").strip():
            raise ValueError(f"a reason is required to mark a suggestion {self.status}")
        return self


class CodingRunPublic(BaseModel):
    """One engine run on a note version: risk scores before/after, notices, provenance."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    encounter_id: str
    note_id: str | None
    date_of_service: date
    code_set_year: str
    payment_year: int
    raf_before_v28: float | None
    raf_after_v28: float | None
    raf_before_v24: float | None
    raf_after_v24: float | None
    suggestion_count: int
    notices: list[str]
    provenance: dict[str, Any]
    created_at: datetime


class SubmissionCodePublic(BaseModel):
    """One submitted code and the accepted suggestion that supports it."""

    model_config = ConfigDict(from_attributes=True)

    icd10: str
    description: str
    suggestion_id: str
    hcc_v28: str | None
    hcc_v24: str | None
    rules_version: str
    code_set_year: str
    accepted_by: str | None
    accepted_at: datetime | None
    evidence: list[dict[str, Any]]


class SubmissionSummary(BaseModel):
    """A submission's state without its codes and Bundle."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    encounter_id: str
    note_version: int
    signature_id: str
    replaces_id: str | None
    status: str
    bundle_sha256: str
    attempts: int
    last_error: str | None
    destination: str | None
    delivery_ref: str | None
    created_by: str
    created_at: datetime
    delivered_at: datetime | None
    invalidated_at: datetime | None
    invalidated_reason: str | None


class SubmissionPublic(SubmissionSummary):
    """A submission: its codes, provenance, optionally its FHIR Bundle, and earlier ones."""

    job_id: str | None
    provenance: dict[str, Any]
    codes: list[SubmissionCodePublic]
    bundle: dict[str, Any] | None = Field(default=None, description="with include_bundle=true")
    previous: list[SubmissionSummary] = Field(default_factory=list)


class BulkStatusUpdate(BaseModel):
    """One review decision for many suggestions: all of them change, or none does."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=500)
    status: ReviewStatus
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_when_needed(self) -> BulkStatusUpdate:
        if self.status in ("rejected", "deferred", "queried") and not (self.reason or "").strip():
            raise ValueError(f"a reason is required to mark suggestions {self.status}")
        return self


class BulkStatusResult(BaseModel):
    """What a bulk decision changed."""

    status: str
    count: int
    items: list[SuggestionPublic]


class ClinicianQueryCreate(BaseModel):
    """A neutral question to the encounter's clinician, optionally about one suggestion."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)
    suggestion_id: str | None = Field(default=None, max_length=64)


class ClinicianQueryAnswer(BaseModel):
    """The clinician's answer: the note was amended, or the query is declined."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["amended", "declined"]
    answer: str = Field(min_length=1, max_length=4000)


class ClinicianQueryPublic(BaseModel):
    """A clinician query with its answer, who asked and who answered."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    encounter_id: str
    suggestion_id: str | None
    question: str
    asked_by: str
    asked_at: datetime
    status: str
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
