"""Searching the audit trail: filters by user, patient, encounter, action and time.

Pages run newest first with a `before_seq` cursor (keyset paging stays fast on millions of
events); exports read the matching events oldest first in batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from scribe.audit import event_to_dict
from scribe.tables import AuditEvent

MAX_PAGE = 500


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and they combine with AND."""

    actor: str | None = None
    action: str | None = None
    patient_id: str | None = None
    encounter_id: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def is_empty(self) -> bool:
        """True when the filter selects the whole trail."""
        return not any(asdict(self).values())

    def describe(self) -> dict[str, str]:
        """The filters in use, as text (recorded on exports and audit events)."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else str(value)
            for name, value in asdict(self).items()
            if value
        }


@dataclass(frozen=True)
class AuditPage:
    """One page of matching events, newest first, and the cursor of the next page."""

    events: list[dict[str, Any]]
    total: int
    next_before_seq: int | None


def _filtered(statement: Any, wanted: AuditFilter) -> Any:
    if wanted.actor:
        statement = statement.where(AuditEvent.actor == wanted.actor)
    if wanted.action:
        statement = statement.where(AuditEvent.action == wanted.action)
    if wanted.patient_id:
        statement = statement.where(AuditEvent.patient_id == wanted.patient_id)
    if wanted.encounter_id:
        statement = statement.where(AuditEvent.encounter_id == wanted.encounter_id)
    if wanted.occurred_from:
        statement = statement.where(AuditEvent.occurred_at >= wanted.occurred_from)
    if wanted.occurred_to:
        statement = statement.where(AuditEvent.occurred_at < wanted.occurred_to)
    return statement


def search_events(
    session: Session, wanted: AuditFilter, *, limit: int = 50, before_seq: int | None = None
) -> AuditPage:
    """A page of matching events, newest first; pass `next_before_seq` back for the next."""
    limit = max(1, min(limit, MAX_PAGE))
    statement = _filtered(select(AuditEvent), wanted)
    if before_seq is not None:
        statement = statement.where(AuditEvent.seq < before_seq)
    rows = session.exec(statement.order_by(AuditEvent.seq.desc()).limit(limit + 1)).all()
    total = session.exec(_filtered(select(func.count()).select_from(AuditEvent), wanted)).one()
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        events=[event_to_dict(row) for row in rows],
        total=int(total),
        next_before_seq=rows[-1].seq if more and rows else None,
    )


def iter_matching(
    session: Session, wanted: AuditFilter, *, batch: int = 5000, through_seq: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every matching event, oldest first, read in batches (up to `through_seq` if given)."""
    last = 0
    while True:
        statement = _filtered(select(AuditEvent), wanted).where(AuditEvent.seq > last)
        if through_seq is not None:
            statement = statement.where(AuditEvent.seq <= through_seq)
        rows = session.exec(statement.order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield event_to_dict(row)
        last = rows[-1].seq
