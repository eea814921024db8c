"""The sign-off gate and submissions: no code leaves before the clinician signed what supports it.

A submission is made from the newest note version of an encounter, and only when that version
is signed (and still hashes to what was signed). Its codes are the ICD-10-CM codes of the
encounter's ACCEPTED suggestions (suggestions of kind `unsupported` are removals, never codes);
each code must be supported by the signed version, or nothing is submitted.

Which codes a signed version supports is decided in `coding.gate` (the rule is there).

Each signed version gets at most one submission (a unique signature id): submitting again
returns it. An edit of the note invalidates every pending (undelivered) submission of the
encounter, and delivery re-checks that its version is still the newest before it writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from coding.fhir import SubmissionFacts, build_bundle
from coding.gate import choose_codes, code_row, components, supports
from coding.pipeline import queue_coding
from coding.tables import Submission, SubmissionCode
from scribe import jobs
from scribe.audit import record_event
from scribe.schemas import NoteSectionUpdate
from scribe.services import Conflict, NotFound, draft_from_record, get_encounter_row
from scribe.signoff import (
    canonical_note_content,
    latest_note,
    save_note_edit,
    signature_of,
    verify_signature,
)
from scribe.tables import Encounter, NoteDraftRecord, NoteSignature, Patient, utcnow
from scribe.version import code_version

__all__ = [
    "SUBMIT_JOB",
    "bundle_bytes",
    "edit_note",
    "invalidate",
    "invalidate_pending",
    "read_submission",
    "stale_reason",
    "submission_codes",
    "submit_encounter",
    "supports",
]

SUBMIT_JOB = "submit"
PENDING, DELIVERED, INVALIDATED = "pending", "delivered", "invalidated"


def _signed_newest(session: Session, encounter_id: str) -> tuple[NoteDraftRecord, NoteSignature]:
    note = latest_note(session, encounter_id)
    if note is None:
        raise Conflict(f"encounter {encounter_id} has no note to sign and submit yet")
    signature = signature_of(session, note.id)
    if signature is None:
        raise Conflict(
            f"note version {note.version} is not signed; the clinician must sign it before any "
            "code is submitted"
        )
    if not verify_signature(session, signature):
        raise Conflict(f"note version {note.version} no longer matches its signed hash")
    return note, signature


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The exact bytes delivered for a Bundle (canonical JSON, UTF-8)."""
    return json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _previous_delivered(session: Session, encounter_id: str) -> Submission | None:
    return session.exec(
        select(Submission)
        .where(Submission.encounter_id == encounter_id, Submission.status == DELIVERED)
        .order_by(col(Submission.note_version).desc())
    ).first()


def _facts(
    session: Session,
    submission: Submission,
    note: NoteDraftRecord,
    signature: NoteSignature,
    codes: list[SubmissionCode],
) -> SubmissionFacts:
    encounter = get_encounter_row(session, note.encounter_id)
    patient = session.get(Patient, encounter.patient_id)
    if patient is None:
        raise NotFound(f"patient {encounter.patient_id} not found")
    return SubmissionFacts(
        submission_id=submission.id,
        created_at=submission.created_at,
        patient=patient,
        encounter=encounter,
        note=note,
        note_text=draft_from_record(note).as_text(),
        signed_content=canonical_note_content(note),
        signature=signature,
        codes=tuple(codes),
        provenance=submission.provenance,
        replaces_submission_id=submission.replaces_id,
    )


def _new_submission(
    session: Session, note: NoteDraftRecord, signature: NoteSignature, actor: str
) -> tuple[Submission, list[SubmissionCode]]:
    """The submission row of a signed version, its Bundle built, and its code rows."""
    chosen = choose_codes(session, note)
    codes = [code_row(position, pick) for position, pick in enumerate(chosen)]
    previous = _previous_delivered(session, note.encounter_id)
    submission = Submission(
        encounter_id=note.encounter_id,
        note_id=note.id,
        note_version=note.version,
        signature_id=signature.id,
        replaces_id=previous.id if previous else None,
        bundle_sha256="",
        provenance={
            "code_version": code_version(),
            "note_version": note.version,
            "signature_id": signature.id,
            "signed_content_sha256": signature.content_sha256,
            "rules_versions": sorted({code.rules_version for code in codes}),
            "code_set_years": sorted({code.code_set_year for code in codes}),
            "components": components(session, note, chosen),
        },
        created_by=actor,
        created_at=utcnow(),
    )
    for code in codes:
        code.submission_id = submission.id
    submission.bundle = build_bundle(_facts(session, submission, note, signature, codes))
    submission.bundle_sha256 = hashlib.sha256(bundle_bytes(submission.bundle)).hexdigest()
    return submission, codes


def submit_encounter(
    *, session: Session, encounter_id: str, actor: str, max_attempts: int = 5
) -> tuple[Submission, bool]:
    """Submit the signed newest note version's accepted codes; returns (submission, created).

    Idempotent: a signed version that already has a submission returns it. Raises NotFound for
    an unknown encounter and Conflict when a step was skipped (no note, not signed, nothing
    accepted, an accepted code the signed version does not support). The submission, its codes,
    its delivery job and the audit event are written in the caller's transaction.
    """
    encounter = get_encounter_row(session, encounter_id)
    note, signature = _signed_newest(session, encounter_id)
    existing = session.exec(
        select(Submission).where(Submission.signature_id == signature.id)
    ).first()
    if existing is not None:
        return existing, False
    submission, codes = _new_submission(session, note, signature, actor)
    session.add(submission)
    session.flush()
    session.add_all(codes)
    job = jobs.enqueue(
        session,
        kind=SUBMIT_JOB,
        encounter_id=encounter_id,
        payload={"submission_id": submission.id},
        max_attempts=max_attempts,
    )
    submission.job_id = job.id
    encounter.status = "submitted"
    session.add_all([submission, encounter])
    _audit(
        session, encounter, submission, actor, "submission.create", codes=[c.icd10 for c in codes]
    )
    return submission, True


def _audit(
    session: Session,
    encounter: Encounter,
    submission: Submission,
    actor: str,
    action: str,
    **details: Any,
) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        subject=f"submission/{submission.id}",
        details={
            "note_version": submission.note_version,
            "signature_id": submission.signature_id,
            "bundle_sha256": submission.bundle_sha256,
            **details,
        },
    )


def invalidate(session: Session, submission: Submission, *, reason: str, actor: str) -> None:
    """Mark one pending submission invalidated (it will never be delivered)."""
    submission.status = INVALIDATED
    submission.invalidated_at = utcnow()
    submission.invalidated_reason = reason
    session.add(submission)
    encounter = get_encounter_row(session, submission.encounter_id)
    _audit(session, encounter, submission, actor, "submission.invalidate", reason=reason)


def invalidate_pending(
    *, session: Session, encounter_id: str, reason: str, actor: str
) -> list[Submission]:
    """Invalidate every pending (undelivered) submission of an encounter; returns them."""
    pending = session.exec(
        select(Submission).where(
            Submission.encounter_id == encounter_id, Submission.status == PENDING
        )
    ).all()
    for submission in pending:
        invalidate(session, submission, reason=reason, actor=actor)
    return list(pending)


def edit_note(
    *,
    session: Session,
    encounter_id: str,
    base_version: int,
    sections: Sequence[NoteSectionUpdate],
    actor: str,
    amendment_reason: str | None = None,
    recode_max_attempts: int | None = None,
) -> tuple[NoteDraftRecord, bool, list[Submission]]:
    """Store a clinician's note edit and invalidate pending submissions, in one transaction.

    With `recode_max_attempts`, a new version also queues a coding job on it, so that what the
    edit documents (or removes) is suggested anew; earlier suggestions are then superseded.
    Returns (version, created, invalidated submissions). See `scribe.signoff.save_note_edit`.
    """
    note, created = save_note_edit(
        session=session,
        encounter_id=encounter_id,
        base_version=base_version,
        sections=sections,
        actor=actor,
        amendment_reason=amendment_reason,
    )
    invalidated: list[Submission] = []
    if created and recode_max_attempts is not None:
        queue_coding(session, note, max_attempts=recode_max_attempts)
    if created:
        invalidated = invalidate_pending(
            session=session,
            encounter_id=encounter_id,
            reason=f"note edited after sign-off (version {note.version})",
            actor=actor,
        )
    return note, created, invalidated


def stale_reason(session: Session, submission: Submission) -> str | None:
    """Why a pending submission may no longer be delivered, or None when it still may."""
    note = latest_note(session, submission.encounter_id)
    if note is None or note.version != submission.note_version:
        return "the note was edited after sign-off (a newer version exists)"
    signature = session.get(NoteSignature, submission.signature_id)
    if signature is None or not verify_signature(session, signature):
        return "the signed note no longer matches its signed hash"
    if hashlib.sha256(bundle_bytes(submission.bundle)).hexdigest() != submission.bundle_sha256:
        return "the stored Bundle no longer matches its hash"
    return None


def submission_codes(session: Session, submission_id: str) -> list[SubmissionCode]:
    """A submission's codes in order."""
    return list(
        session.exec(
            select(SubmissionCode)
            .where(SubmissionCode.submission_id == submission_id)
            .order_by(col(SubmissionCode.position))
        ).all()
    )


def read_submission(
    *, session: Session, encounter_id: str, actor: str
) -> tuple[Submission, list[SubmissionCode], list[Submission]]:
    """The newest submission of an encounter, its codes and the earlier ones (an audited read)."""
    encounter = get_encounter_row(session, encounter_id)
    rows = session.exec(
        select(Submission)
        .where(Submission.encounter_id == encounter_id)
        .order_by(col(Submission.note_version).desc())
    ).all()
    if not rows:
        raise NotFound(f"encounter {encounter_id} has no submission yet")
    newest = rows[0]
    _audit(session, encounter, newest, actor, "submission.read")
    return newest, submission_codes(session, newest.id), list(rows[1:])
