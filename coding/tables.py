"""What the coding engine stores: one row per suggestion, with its review status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scribe.tables import new_id, utcnow

SUGGESTION_STATUSES = ("open", "accepted", "rejected", "deferred", "queried")


class SuggestionRecord(SQLModel, table=True):
    """A coding suggestion for one encounter's note version, and who decided what about it."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_suggestion_queue", "status", "kind", "created_at"),
        Index("ix_suggestion_raf", "status", "raf_delta_v28"),
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
