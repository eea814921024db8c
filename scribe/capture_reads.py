"""Reads of tablet captures for the recording page: an encounter's captures, the live draft.

Live words are PHI. A read that discloses words (`since` below the number committed) is audited
in the same transaction as the read, naming how many words and from which index, never the
text; a poll that finds nothing new writes no event, so idle polling does not flood the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from scribe import services
from scribe.audit import record_event
from scribe.capture import CaptureError, CaptureState, capture_status, get_capture
from scribe.tables import CaptureSession, LiveTranscript

__all__ = ["LiveView", "encounter_captures", "read_live_transcript"]


@dataclass(frozen=True)
class LiveView:
    """What the live draft of a capture holds, and its words from index `since` on."""

    capture_id: str
    status: str
    committed_until: float
    audio_seconds: float
    words_total: int
    since: int
    words: list[dict[str, Any]]


def read_live_transcript(*, session: Session, capture_id: str, since: int, actor: str) -> LiveView:
    """The live words of a capture from index `since` on; audited only when some are disclosed.

    Raises NotFound for an unknown capture and CaptureError (422) for a negative `since`.
    """
    if since < 0:
        raise CaptureError(422, "since must be 0 or more (the number of words already shown)")
    capture = get_capture(session, capture_id)
    row = session.get(LiveTranscript, capture_id)
    words = list(row.words) if row is not None else []
    new = words[since:]
    if new:
        record_event(
            session,
            actor=actor,
            action="live_transcript.read",
            patient_id=services.get_encounter_row(session, capture.encounter_id).patient_id,
            encounter_id=capture.encounter_id,
            subject=f"capture/{capture_id}",
            details={"since": since, "words": len(new), "words_total": len(words)},
        )
    return LiveView(
        capture_id=capture_id,
        status=capture.status,
        committed_until=row.committed_until if row is not None else 0.0,
        audio_seconds=row.audio_seconds if row is not None else 0.0,
        words_total=len(words),
        since=since,
        words=new,
    )


def encounter_captures(*, session: Session, encounter_id: str) -> list[CaptureState]:
    """The encounter's captures, oldest first, with what the server holds of each (404 when
    the encounter is unknown)."""
    services.get_encounter_row(session, encounter_id)
    ids = session.exec(
        select(CaptureSession.id)
        .where(CaptureSession.encounter_id == encounter_id)
        .order_by(col(CaptureSession.created_at))
    ).all()
    return [capture_status(session=session, capture_id=capture_id) for capture_id in ids]
