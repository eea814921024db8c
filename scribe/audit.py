"""Append-only, hash-chained audit trail and its verification.

Each event's hash covers its content and the previous event's hash, so an edited, deleted,
inserted or reordered event breaks the chain. The `audit_head` row holds the end of the chain,
so cutting events off the end is detected too. Events are appended in the caller's transaction:
the audit record commits or rolls back with the change it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from scribe.tables import AuditEvent, AuditHead, utcnow

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "outcome",
    "patient_id",
    "encounter_id",
    "subject",
    "details",
    "prev_hash",
)


def _canonical_time(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the hashed fields of one event."""
    content = {name: event.get(name) for name in HASHED_FIELDS}
    content["occurred_at"] = _canonical_time(content["occurred_at"])
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    patient_id: str | None = None,
    encounter_id: str | None = None,
    subject: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    The chain head row is locked (FOR UPDATE on PostgreSQL; SQLite transactions already hold the
    write lock), so concurrent writers append one after another.
    """
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        outcome=outcome,
        patient_id=patient_id,
        encounter_id=encounter_id,
        subject=subject,
        details=details or {},
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(event_to_dict(event))
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    """The exported form of an event (what `verify_events` checks)."""
    return {
        "seq": event.seq,
        "occurred_at": _canonical_time(event.occurred_at),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "patient_id": event.patient_id,
        "encounter_id": event.encounter_id,
        "subject": event.subject,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@dataclass
class ChainReport:
    """Result of verifying an audit chain."""

    ok: bool = True
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        """Record a problem (the first 50 are kept)."""
        self.ok = False
        if len(self.problems) < 50:
            self.problems.append(problem)


def verify_events(
    events: Iterable[dict[str, Any]],
    *,
    start_hash: str = GENESIS_HASH,
    start_seq: int = 0,
) -> ChainReport:
    """Check sequence continuity, links and hashes of events in order."""
    report = ChainReport(last_seq=start_seq, last_hash=start_hash)
    for event in events:
        report.checked += 1
        seq = event.get("seq")
        if seq != report.last_seq + 1:
            report.fail(f"event seq {seq}: expected seq {report.last_seq + 1} (gap or reorder)")
        if event.get("prev_hash") != report.last_hash:
            report.fail(f"event seq {seq}: link to previous event broken")
        if event_hash(event) != event.get("hash"):
            report.fail(f"event seq {seq}: content does not match its hash (edited)")
        report.last_seq = seq if isinstance(seq, int) else report.last_seq + 1
        report.last_hash = str(event.get("hash"))
    return report


def iter_events(session: Session, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """All stored events in sequence order, read in batches."""
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield event_to_dict(row)
        last = rows[-1].seq


def verify_database(session: Session) -> ChainReport:
    """Verify the stored chain, including that it ends where the head row says it ends."""
    report = verify_events(iter_events(session))
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    if (head.last_seq, head.last_hash) != (report.last_seq, report.last_hash):
        report.fail(
            f"chain ends at seq {report.last_seq} but the head records seq {head.last_seq} "
            "(events removed from the end, or head altered)"
        )
    return report
