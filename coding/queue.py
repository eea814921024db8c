"""The coder queue: suggestions across encounters, filtered, sorted and paged (audited reads).

Paging is keyset first: each page ends with a cursor (the last row's sort key and id) and the
next page starts strictly after it, an index range on `ix_suggestion_raf_page` /
`ix_suggestion_age_page` however deep the page. A plain `offset` is still accepted for callers
that page by number; it walks the index, so it gets slower the deeper it goes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from coding.tables import SUPERSEDED, SuggestionRecord
from scribe.audit import record_event
from scribe.tables import Encounter, Patient

__all__ = ["BadCursor", "QueueFilter", "QueuePage", "QueueRow", "list_queue", "queue_page"]

SORTS = ("raf", "age")


class BadCursor(ValueError):
    """A paging cursor that this queue did not hand out (or for another sort order)."""


@dataclass(frozen=True)
class QueueFilter:
    """Filters and paging of the cross-encounter suggestion queue.

    `encounter_scope` narrows the queue to some encounters: a list of ids or a SELECT of ids
    (the web layer passes the encounters a clinician owns, a table this package does not know).
    `after` is the cursor of the previous page; when given, `offset` is ignored.
    """

    status: str | None = "open"
    kind: str | None = None
    hcc_v28: str | None = None
    clinician: str | None = None
    encounter_scope: Any = None
    date_from: date | None = None
    date_to: date | None = None
    min_raf_delta: float | None = None
    sort: str = "raf"
    limit: int = 50
    offset: int = 0
    after: str | None = None


@dataclass(frozen=True)
class QueueRow:
    """One queue row: the suggestion and what the queue shows of its encounter and patient."""

    suggestion: SuggestionRecord
    date_of_service: date
    patient_id: str
    birth_date: date
    sex: str

    def age_on(self, day: date) -> int:
        """The patient's age in whole years on `day`."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, the number of matching rows, and the cursor of the next page."""

    rows: list[QueueRow]
    total: int
    next_cursor: str | None


def _encounter_ids(filters: QueueFilter) -> Any:
    """A SELECT of the encounters the encounter-level filters allow (None when none is set).

    As a subquery of ids, not a join, so SQLite can drive the search from the few encounters
    in scope to their suggestions (by `ix_suggestion_encounter_id`) instead of walking every
    open suggestion.
    """
    wanted: list[Any] = []
    if filters.encounter_scope is not None:
        wanted.append(col(Encounter.id).in_(filters.encounter_scope))
    if filters.clinician:
        wanted.append(col(Encounter.clinician) == filters.clinician)
    if filters.date_from:
        wanted.append(col(Encounter.date_of_service) >= filters.date_from)
    if filters.date_to:
        wanted.append(col(Encounter.date_of_service) <= filters.date_to)
    return select(Encounter.id).where(*wanted) if wanted else None


def _conditions(filters: QueueFilter) -> list[Any]:
    """SQL conditions for the filters that are set."""
    suggestion = SuggestionRecord
    conditions: list[Any] = []
    if filters.status:
        conditions.append(col(suggestion.status) == filters.status)
    else:  # "any" status still leaves out what a newer coding run replaced
        conditions.append(col(suggestion.status) != SUPERSEDED)
    if filters.kind:
        conditions.append(col(suggestion.kind) == filters.kind)
    if filters.hcc_v28:
        conditions.append(col(suggestion.hcc_v28) == filters.hcc_v28)
    if filters.min_raf_delta is not None:
        conditions.append(col(suggestion.raf_delta_v28) >= filters.min_raf_delta)
    encounters = _encounter_ids(filters)
    if encounters is not None:
        conditions.append(col(suggestion.encounter_id).in_(encounters))
    return conditions


def _order(sort: str) -> tuple[Any, ...]:
    if sort == "raf":
        # Highest RAF impact first; suggestions without one (no HCC) last.
        return (
            col(SuggestionRecord.raf_delta_v28).desc().nulls_last(),
            col(SuggestionRecord.id).desc(),
        )
    return (col(SuggestionRecord.created_at), col(SuggestionRecord.id))


def _encode(sort: str, row: SuggestionRecord) -> str:
    key: Any = row.raf_delta_v28 if sort == "raf" else row.created_at.isoformat()
    raw = json.dumps([sort, key, row.id], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(sort: str, cursor: str) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, key, last_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if kind != sort or not isinstance(last_id, str):
            raise ValueError(kind)
        if sort == "raf":
            return (None if key is None else float(key)), last_id
        return datetime.fromisoformat(key), last_id
    except (ValueError, TypeError, UnicodeError, binascii.Error) as error:
        raise BadCursor(f"the paging cursor is not valid for sort {sort!r}") from error


def _after(sort: str, cursor: str) -> Any:
    """The condition 'strictly after the cursor' in the queue's order."""
    key, last_id = _decode(sort, cursor)
    raf, suggestion_id = col(SuggestionRecord.raf_delta_v28), col(SuggestionRecord.id)
    if sort == "raf":
        if key is None:
            return and_(raf.is_(None), suggestion_id < last_id)
        return or_(raf < key, and_(raf == key, suggestion_id < last_id), raf.is_(None))
    created = col(SuggestionRecord.created_at)
    return or_(created > key, and_(created == key, suggestion_id > last_id))


def _count(session: Session, filters: QueueFilter) -> int:
    query = select(func.count()).select_from(SuggestionRecord)
    for condition in _conditions(filters):
        query = query.where(condition)
    return int(session.exec(query).one())


def _rows(session: Session, filters: QueueFilter) -> list[QueueRow]:
    query = (
        select(SuggestionRecord, Encounter, Patient)
        .join(Encounter, col(Encounter.id) == col(SuggestionRecord.encounter_id))
        .join(Patient, col(Patient.id) == col(Encounter.patient_id))
    )
    for condition in _conditions(filters):
        query = query.where(condition)
    if filters.after:
        query = query.where(_after(filters.sort, filters.after))
    # One row more than the page says whether there is a next page.
    query = query.order_by(*_order(filters.sort)).limit(filters.limit + 1)
    if not filters.after and filters.offset:
        query = query.offset(filters.offset)
    return [
        QueueRow(suggestion, encounter.date_of_service, patient.id, patient.birth_date, patient.sex)
        for suggestion, encounter, patient in session.exec(query).all()
    ]


def queue_page(*, session: Session, filters: QueueFilter, actor: str) -> QueuePage:
    """One page of the queue with the encounter date and patient of each row (one audit event).

    Raises BadCursor for a cursor this queue did not hand out.
    """
    if filters.sort not in SORTS:
        raise BadCursor(f"unknown sort {filters.sort!r}; use one of {', '.join(SORTS)}")
    fetched = _rows(session, filters)
    rows = fetched[: filters.limit]
    total = _count(session, filters)
    more = len(fetched) > filters.limit
    next_cursor = _encode(filters.sort, rows[-1].suggestion) if more else None
    record_event(
        session,
        actor=actor,
        action="suggestions.queue.read",
        details={
            "count": len(rows),
            "total": total,
            "sort": filters.sort,
            "keyset": bool(filters.after),
            "patients": len({row.patient_id for row in rows}),
        },
    )
    return QueuePage(rows=rows, total=total, next_cursor=next_cursor)


def list_queue(
    *, session: Session, filters: QueueFilter, actor: str
) -> tuple[list[SuggestionRecord], int]:
    """Suggestions across encounters for the coder queue, with the total count (audited)."""
    page = queue_page(session=session, filters=filters, actor=actor)
    return [row.suggestion for row in page.rows], page.total
