"""What the coding engine stores: one row per suggestion, with its review status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scribe.tables import new_id, utcnow

SUGGESTION_STATUSES = ("open", "accepted", "rejected", "deferred", "queried")
SUPERSEDED = "superseded"  # set by a coding run on a newer note version, never by hand


class SuggestionRecord(SQLModel, table=True):
    """A coding suggestion for one encounter's note version, and who decided what about it."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_suggestion_queue", "status", "kind", "created_at"),
        # Keyset paging of the coder queue (migration 0103): each sort key ends with the id.
        Index("ix_suggestion_raf_page", "status", "raf_delta_v28", "id"),
        Index("ix_suggestion_age_page", "status", "created_at", "id"),
        Index("ix_suggestion_hcc_page", "status", "hcc_v28", "raf_delta_v28", "id"),
        Index("ix_suggestion_encounter_status", "encounter_id", "status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    note_id: str | None = Field(default=None, foreign_key="note_draft.id", index=True)
    note_version: int | None = None
    job_id: str | None = Field(default=None, foreign_key="job.id")
    position: int = 0
    kind: str = Field(max_length=16, index=True)
    family: str = Field(default="", max_length=64)
    icd10: str | None = Field(default=None, max_length=8, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    hcc_v28: str | None = Field(default=None, max_length=8, index=True)
    hcc_v24: str | None = Field(default=None, max_length=8)
    raf_delta_v28: float | None = None
    raf_delta_v24: float | None = None
    confidence: float = 0.0
    rules_version: str = Field(default="", max_length=32)
    code_set_year: str = Field(default="", max_length=16)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=16)
    status_reason: str | None = Field(default=None, sa_column=Column(Text))
    status_by: str | None = Field(default=None, max_length=128)
    status_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CodingRun(SQLModel, table=True):
    """One run of the engine on one note version: risk scores, notices and provenance."""

    __tablename__ = "coding_run"

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    note_id: str | None = Field(default=None, foreign_key="note_draft.id")
    job_id: str | None = Field(default=None, foreign_key="job.id", unique=True)
    date_of_service: date
    code_set_year: str = Field(max_length=16)
    payment_year: int
    raf_before_v28: float | None = None
    raf_after_v28: float | None = None
    raf_before_v24: float | None = None
    raf_after_v24: float | None = None
    suggestion_count: int = 0
    notices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


SUBMISSION_STATUSES = ("pending", "delivered", "invalidated")


class Submission(SQLModel, table=True):
    """The one submission of a signed note version: its FHIR Bundle and its delivery (outbox).

    At most one per signature (so per signed version): submitting again returns this row.
    `pending` until delivered; an edit of the note before delivery makes it `invalidated`.
    """

    __tablename__ = "submission"

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    note_id: str = Field(foreign_key="note_draft.id")
    note_version: int
    signature_id: str = Field(foreign_key="note_signature.id", unique=True)
    replaces_id: str | None = Field(default=None, foreign_key="submission.id")
    status: str = Field(default="pending", max_length=16, index=True)
    bundle: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    bundle_sha256: str = Field(max_length=64)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    job_id: str | None = Field(default=None, foreign_key="job.id")
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    destination: str | None = Field(default=None, sa_column=Column(Text))
    delivery_ref: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    invalidated_at: datetime | None = None
    invalidated_reason: str | None = Field(default=None, sa_column=Column(Text))


class SubmissionCode(SQLModel, table=True):
    """One ICD-10-CM code of a submission and the accepted suggestion that supports it."""

    __tablename__ = "submission_code"
    __table_args__ = (UniqueConstraint("submission_id", "icd10"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: str = Field(foreign_key="submission.id", index=True)
    position: int
    icd10: str = Field(max_length=8)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    suggestion_id: str = Field(foreign_key="suggestion.id")
    hcc_v28: str | None = Field(default=None, max_length=8)
    hcc_v24: str | None = Field(default=None, max_length=8)
    rules_version: str = Field(default="", max_length=32)
    code_set_year: str = Field(default="", max_length=16)
    accepted_by: str | None = Field(default=None, max_length=128)
    accepted_at: datetime | None = None
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


QUERY_STATUSES = ("open", "amended", "declined")


class ClinicianQuery(SQLModel, table=True):
    """A neutral question a coder sends back to the clinician of one encounter, and the answer.

    `open` until the clinician answers: `amended` (they amended the note) or `declined` (the
    documentation stands as it is). Who asked and who answered, and when, are kept on the row
    and in the audit trail.
    """

    __tablename__ = "clinician_query"
    __table_args__ = (Index("ix_clinician_query_status_asked", "status", "asked_at"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    suggestion_id: str | None = Field(default=None, foreign_key="suggestion.id", index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    asked_by: str = Field(max_length=128)
    asked_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="open", max_length=16)
    answer: str | None = Field(default=None, sa_column=Column(Text))
    answered_by: str | None = Field(default=None, max_length=128)
    answered_at: datetime | None = None
