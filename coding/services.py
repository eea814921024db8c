"""Storing coding suggestions and changing their review status (each change audited)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from coding.contracts import Suggestion, SuggestionReport
from coding.tables import SUGGESTION_STATUSES, SUPERSEDED, CodingRun, SuggestionRecord
from scribe.audit import record_event
from scribe.services import Conflict, NotFound, get_encounter_row
from scribe.tables import Encounter, utcnow

REASON_REQUIRED = frozenset({"rejected", "deferred", "queried"})


def _record(
    suggestion: Suggestion,
    *,
    encounter_id: str,
    note_id: str | None,
    note_version: int | None,
    job_id: str | None,
    position: int,
) -> SuggestionRecord:
    return SuggestionRecord(
        encounter_id=encounter_id,
        note_id=note_id,
        note_version=note_version,
        job_id=job_id,
        position=position,
        kind=suggestion.kind,
        family=suggestion.family,
        icd10=suggestion.icd10,
        description=suggestion.description,
        hcc_v28=suggestion.hcc_v28[0] if suggestion.hcc_v28 else None,
        hcc_v24=suggestion.hcc_v24[0] if suggestion.hcc_v24 else None,
        raf_delta_v28=suggestion.raf_delta_v28,
        raf_delta_v24=suggestion.raf_delta_v24,
        confidence=suggestion.confidence,
        rules_version=suggestion.rules_version,
        code_set_year=suggestion.code_set_year,
        payload=suggestion.model_dump(mode="json"),
    )


def store_report(
    *,
    session: Session,
    report: SuggestionReport,
    encounter_id: str,
    note_id: str | None,
    note_version: int | None,
    job_id: str | None,
    actor: str,
) -> int:
    """Store a report's suggestions once per job (a rerun of the same job stores nothing)."""
    if job_id is not None:
        existing = session.exec(
            select(func.count())
            .select_from(SuggestionRecord)
            .where(SuggestionRecord.job_id == job_id)
        ).one()
        if existing:
            return 0
    encounter = get_encounter_row(session, encounter_id)
    rows = [
        _record(
            item,
            encounter_id=encounter_id,
            note_id=note_id,
            note_version=note_version,
            job_id=job_id,
            position=index,
        )
        for index, item in enumerate(report.suggestions)
    ]
    session.add_all(rows)
    if note_version is not None:
        _supersede_earlier(session, encounter, rows, note_version, actor)
    session.add(
        CodingRun(
            encounter_id=encounter_id,
            note_id=note_id,
            job_id=job_id,
            date_of_service=report.date_of_service,
            code_set_year=report.code_set_year,
            payment_year=report.payment_year,
            raf_before_v28=report.raf_before_v28,
            raf_after_v28=report.raf_after_v28,
            raf_before_v24=report.raf_before_v24,
            raf_after_v24=report.raf_after_v24,
            suggestion_count=len(rows),
            notices=list(report.notices),
            provenance=report.provenance.model_dump(mode="json"),
        )
    )
    record_event(
        session,
        actor=actor,
        action="suggestions.create",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"note/{note_id}",
        details={
            "count": len(rows),
            "kinds": sorted({row.kind for row in rows}),
            "provenance": report.provenance.model_dump(mode="json"),
        },
    )
    return len(rows)


def list_for_encounter(
    *, session: Session, encounter_id: str, actor: str
) -> list[SuggestionRecord]:
    """An encounter's suggestions (an audited PHI read)."""
    encounter = get_encounter_row(session, encounter_id)
    rows = session.exec(
        select(SuggestionRecord)
        .where(SuggestionRecord.encounter_id == encounter_id)
        .order_by(col(SuggestionRecord.created_at), col(SuggestionRecord.position))
    ).all()
    record_event(
        session,
        actor=actor,
        action="suggestions.read",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"encounter/{encounter_id}",
        details={"count": len(rows)},
    )
    return list(rows)


def _supersede_earlier(
    session: Session,
    encounter: Encounter,
    rows: list[SuggestionRecord],
    note_version: int,
    actor: str,
) -> None:
    """A coding run on a newer note version replaces the suggestions of earlier versions.

    Earlier suggestions become `superseded` (kept, with their history, out of the queue and the
    gate); a decision taken on one (accepted, rejected, deferred, queried) is carried to the new
    suggestion of the same kind and code, with who took it and when.
    """
    earlier = session.exec(
        select(SuggestionRecord).where(
            SuggestionRecord.encounter_id == encounter.id,
            col(SuggestionRecord.note_version) < note_version,
            SuggestionRecord.status != SUPERSEDED,
        )
    ).all()
    if not earlier:
        return
    decided = {
        (row.kind, row.icd10): row
        for row in sorted(earlier, key=lambda r: (r.note_version or 0, r.status_at or r.created_at))
        if row.status != "open" and row.icd10
    }
    carried = 0
    for row in rows:
        prior = decided.get((row.kind, row.icd10))
        if prior is not None:
            row.status, row.status_by, row.status_at = (
                prior.status,
                prior.status_by,
                prior.status_at,
            )
            row.status_reason = f"carried over from note version {prior.note_version}" + (
                f": {prior.status_reason}" if prior.status_reason else ""
            )
            carried += 1
    for row in earlier:
        row.status = SUPERSEDED
        row.status_reason = f"superseded by the coding of note version {note_version}"
        session.add(row)
    record_event(
        session,
        actor=actor,
        action="suggestions.supersede",
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        details={"superseded": len(earlier), "decisions_carried": carried, "version": note_version},
    )


def _check_status(status: str, reason: str | None) -> None:
    if status == SUPERSEDED:
        raise Conflict("suggestions are superseded by a new coding run, not by hand")
    if status not in SUGGESTION_STATUSES:
        raise Conflict(f"unknown status {status!r}; use one of {', '.join(SUGGESTION_STATUSES)}")
    if status in REASON_REQUIRED and not (reason or "").strip():
        raise Conflict(f"a reason is required to mark a suggestion {status}")


def apply_status(
    session: Session,
    row: SuggestionRecord,
    *,
    status: str,
    reason: str | None,
    actor: str,
    patient_id: str,
    details: dict[str, str] | None = None,
) -> SuggestionRecord:
    """Set a (checked, not superseded) suggestion's status and audit the change."""
    previous = row.status
    row.status, row.status_reason, row.status_by, row.status_at = (
        status,
        (reason or "").strip() or None,
        actor,
        utcnow(),
    )
    session.add(row)
    record_event(
        session,
        actor=actor,
        action="suggestion.status",
        patient_id=patient_id,
        encounter_id=row.encounter_id,
        subject=f"suggestion/{row.id}",
        details={
            "from": previous,
            "to": status,
            "reason": row.status_reason,
            "icd10": row.icd10,
            "kind": row.kind,
            **(details or {}),
        },
    )
    return row


def change_status(
    *, session: Session, suggestion_id: str, status: str, reason: str | None, actor: str
) -> SuggestionRecord:
    """Set a suggestion's review status; rejecting, deferring or querying needs a reason."""
    _check_status(status, reason)
    row = session.get(SuggestionRecord, suggestion_id)
    if row is None:
        raise NotFound(f"suggestion {suggestion_id} not found")
    if row.status == SUPERSEDED:
        raise Conflict(f"suggestion {suggestion_id} is superseded: {row.status_reason}")
    encounter = get_encounter_row(session, row.encounter_id)
    return apply_status(
        session, row, status=status, reason=reason, actor=actor, patient_id=encounter.patient_id
    )


def change_status_many(
    *, session: Session, ids: Sequence[str], status: str, reason: str | None, actor: str
) -> list[SuggestionRecord]:
    """Set the status of many suggestions, all or none (the caller's transaction), each audited.

    Raises NotFound when any id is unknown and Conflict when any is superseded, before
    changing anything; one `suggestion.status` event per change, one `suggestions.bulk` event.
    """
    _check_status(status, reason)
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise Conflict("no suggestions selected")
    rows = {
        row.id: row
        for row in session.exec(
            select(SuggestionRecord).where(col(SuggestionRecord.id).in_(wanted))
        ).all()
    }
    missing = [item for item in wanted if item not in rows]
    if missing:
        raise NotFound(f"{len(missing)} suggestion(s) not found: {', '.join(missing[:5])}")
    superseded = [item for item in wanted if rows[item].status == SUPERSEDED]
    if superseded:
        raise Conflict(
            f"{len(superseded)} suggestion(s) are superseded: {', '.join(superseded[:5])}"
        )
    encounters = {
        encounter.id: encounter
        for encounter in session.exec(
            select(Encounter).where(
                col(Encounter.id).in_({row.encounter_id for row in rows.values()})
            )
        ).all()
    }
    changed = [
        apply_status(
            session,
            rows[item],
            status=status,
            reason=reason,
            actor=actor,
            patient_id=encounters[rows[item].encounter_id].patient_id,
            details={"bulk": "true"},
        )
        for item in wanted
    ]
    record_event(
        session,
        actor=actor,
        action="suggestions.bulk_status",
        details={"to": status, "count": len(changed), "encounters": len(encounters)},
    )
    return changed


def list_runs(*, session: Session, encounter_id: str, actor: str) -> list[CodingRun]:
    """An encounter's coding runs, newest first: RAF before/after, notices, provenance (audited)."""
    encounter = get_encounter_row(session, encounter_id)
    runs = session.exec(
        select(CodingRun)
        .where(CodingRun.encounter_id == encounter_id)
        .order_by(col(CodingRun.created_at).desc())
    ).all()
    record_event(
        session,
        actor=actor,
        action="coding_runs.read",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"encounter/{encounter_id}",
        details={"count": len(runs)},
    )
    return list(runs)
