"""Clinician edits and sign-off of note versions (domain rules; no web code).

Note versions are immutable rows. An edit stores a new version made from the newest one: a
sentence whose text is unchanged keeps its evidence links and faithfulness verdict; an edited or
new sentence is marked clinician-authored (no transcript evidence). Signing locks a version: its
row can no longer change (a mapper guard below refuses it), and its content hash is stored. An
edit made after a version was signed is an amendment: it needs a reason, and the new version
needs its own sign-off, which points at the signature it amends.

Checking the signer's password is the web layer's job; the domain records who signed and the
attestation they agreed to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Session, col, select

from scribe.audit import record_event
from scribe.contracts import NoteSection, Provenance
from scribe.note_edits import InvalidEdit, edited_sections, is_replay, same_text
from scribe.schemas import NoteSectionUpdate
from scribe.services import Conflict, NotFound, get_encounter_row
from scribe.tables import Encounter, NoteDraftRecord, NoteSignature, utcnow
from scribe.version import code_version

__all__ = [
    "ATTESTATION_STATEMENT",
    "InvalidEdit",
    "NoteLocked",
    "canonical_note_content",
    "content_sha256",
    "latest_note",
    "note_is_signed",
    "save_note_edit",
    "sign_note",
    "signature_chain",
    "signature_of",
    "verify_signature",
]

ATTESTATION_STATEMENT = (
    "I attest that I personally conducted this face-to-face encounter and that this note, "
    "as signed, is accurate and complete."
)
"""The statement the review page shows; the API records whatever statement was agreed to."""

EDIT_COMPONENT = "clinician-edit"


class NoteLocked(Conflict):
    """A signed note version (or a signature) was about to be changed in place."""


# --- reading -------------------------------------------------------------------------------


def latest_note(session: Session, encounter_id: str) -> NoteDraftRecord | None:
    """The newest note version of an encounter, if any."""
    return session.exec(
        select(NoteDraftRecord)
        .where(NoteDraftRecord.encounter_id == encounter_id)
        .order_by(col(NoteDraftRecord.version).desc())
    ).first()


def _note_version(session: Session, encounter_id: str, version: int) -> NoteDraftRecord:
    note = session.exec(
        select(NoteDraftRecord).where(
            NoteDraftRecord.encounter_id == encounter_id, NoteDraftRecord.version == version
        )
    ).first()
    if note is None:
        raise NotFound(f"encounter {encounter_id} has no note version {version}")
    return note


def signature_of(session: Session, note_id: str) -> NoteSignature | None:
    """The signature of one note version, if it was signed."""
    return session.exec(select(NoteSignature).where(NoteSignature.note_id == note_id)).first()


def note_is_signed(session: Session, note_id: str) -> bool:
    """Whether a note version is signed (and therefore locked)."""
    return signature_of(session, note_id) is not None


def signature_chain(session: Session, encounter_id: str) -> list[NoteSignature]:
    """Every signature of an encounter's note, oldest first (the original, then amendments)."""
    return list(
        session.exec(
            select(NoteSignature)
            .where(NoteSignature.encounter_id == encounter_id)
            .order_by(col(NoteSignature.version))
        ).all()
    )


# --- hashing -------------------------------------------------------------------------------


def canonical_note_content(note: NoteDraftRecord) -> bytes:
    """The canonical JSON of what a clinician signs: identity, version and every sentence.

    Keys sorted, no insignificant whitespace, UTF-8. Evidence links and faithfulness verdicts
    are machine metadata and are not part of the signed content.
    """
    content = {
        "encounter_id": note.encounter_id,
        "note_id": note.id,
        "version": note.version,
        "sections": [
            {
                "key": section.get("key"),
                "title": section.get("title"),
                "sentences": [
                    {
                        "id": sentence.get("id"),
                        "text": sentence.get("text"),
                        "author": sentence.get("author", "drafter"),
                    }
                    for sentence in section.get("sentences", [])
                ],
            }
            for section in note.sections
        ],
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return encoded.encode("utf-8")


def content_sha256(note: NoteDraftRecord) -> str:
    """sha256 (hex) of a note version's canonical content."""
    return hashlib.sha256(canonical_note_content(note)).hexdigest()


def verify_signature(session: Session, signature: NoteSignature) -> bool:
    """Whether the signed note version still hashes to what was signed."""
    note = session.get(NoteDraftRecord, signature.note_id)
    return note is not None and content_sha256(note) == signature.content_sha256


# --- editing -------------------------------------------------------------------------------


def save_note_edit(
    *,
    session: Session,
    encounter_id: str,
    base_version: int,
    sections: Sequence[NoteSectionUpdate],
    actor: str,
    amendment_reason: str | None = None,
) -> tuple[NoteDraftRecord, bool]:
    """Store a clinician's edit of the newest note version as a new version.

    Returns the version and whether it was created (False: the content equals the base, or
    the same edit was already stored by a retried request). Raises NotFound for an unknown
    encounter or version, Conflict when `base_version` is not the newest version (stale) or
    when it is signed and no `amendment_reason` is given (an edit after sign-off must be a
    deliberate amendment), and InvalidEdit for a malformed edit.
    """
    encounter = get_encounter_row(session, encounter_id)
    base = _note_version(session, encounter_id, base_version)
    newest = latest_note(session, encounter_id)
    assert newest is not None  # the base version exists
    edited, changes = edited_sections(base, sections)
    if newest.version != base.version:
        if is_replay(newest, base_version, edited, actor):
            return newest, False
        raise Conflict(
            f"note version {base_version} is not the newest (version {newest.version} is); "
            "reload the note and edit the newest version"
        )
    if same_text(base.sections, edited):
        return base, False
    signed_before = signature_chain(session, encounter_id)
    reason = (amendment_reason or "").strip() or None
    if note_is_signed(session, base.id) and reason is None:
        raise Conflict(
            f"note version {base.version} is signed and locked; an edit after sign-off is an "
            "amendment and needs an amendment reason"
        )
    note = _store_version(session, base, edited, actor, changes, reason if signed_before else None)
    record_event(
        session,
        actor=actor,
        action="note.amend" if signed_before else "note.edit",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"note/{note.id}",
        details={
            "version": note.version,
            "base_version": base.version,
            "changed_sentences": changes,
            "amends_signature_id": signed_before[-1].id if signed_before else None,
            "reason": reason if signed_before else None,
        },
    )
    return note, True


def _store_version(
    session: Session,
    base: NoteDraftRecord,
    sections: list[NoteSection],
    actor: str,
    changes: int,
    amendment_reason: str | None,
) -> NoteDraftRecord:
    edit = Provenance(
        component=EDIT_COMPONENT,
        code_version=code_version(),
        parameters={
            "base_version": base.version,
            "edited_by": actor,
            "changed_sentences": changes,
            "amendment_reason": amendment_reason,
        },
    )
    provenance = [item for item in base.provenance if item.get("component") != EDIT_COMPONENT] + [
        edit.model_dump(mode="json")
    ]
    note = NoteDraftRecord(
        encounter_id=base.encounter_id,
        transcript_id=base.transcript_id,
        version=base.version + 1,
        drafter=base.drafter,
        sections=[section.model_dump(mode="json") for section in sections],
        provenance=provenance,
        unsupported_count=sum(
            1 for section in sections for s in section.sentences if s.status == "unsupported"
        ),
        created_by=actor,
    )
    session.add(note)
    session.flush()
    return note


# --- signing -------------------------------------------------------------------------------


def sign_note(
    *, session: Session, encounter_id: str, version: int, signer: str, attestation: str
) -> NoteSignature:
    """Sign (and lock) a note version: it must be the newest version and not yet signed.

    A sign-off of a version made after an earlier sign-off is an amendment: its signature points
    at the previous one. Raises NotFound, Conflict (stale or already signed) or InvalidEdit
    (empty attestation).
    """
    statement = attestation.strip()
    if not statement:
        raise InvalidEdit("an attestation statement is required to sign")
    encounter = get_encounter_row(session, encounter_id)
    note = _note_version(session, encounter_id, version)
    newest = latest_note(session, encounter_id)
    if newest is not None and newest.version != note.version:
        raise Conflict(
            f"note version {version} is not the newest (version {newest.version} is); "
            "sign the newest version"
        )
    existing = signature_of(session, note.id)
    if existing is not None:
        raise Conflict(f"note version {version} is already signed")
    chain = signature_chain(session, encounter_id)
    signature = NoteSignature(
        note_id=note.id,
        encounter_id=encounter_id,
        version=note.version,
        content_sha256=content_sha256(note),
        signer=signer,
        attestation=statement,
        signed_at=utcnow(),
        amends_signature_id=chain[-1].id if chain else None,
    )
    session.add(signature)
    _mark(session, encounter, "signed")
    session.flush()
    record_event(
        session,
        actor=signer,
        action="note.sign",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"note/{note.id}",
        details={
            "version": note.version,
            "signature_id": signature.id,
            "content_sha256": signature.content_sha256,
            "amends_signature_id": signature.amends_signature_id,
            "unsupported_sentences": note.unsupported_count,
        },
    )
    return signature


def _mark(session: Session, encounter: Encounter, status: str) -> None:
    encounter.status = status
    session.add(encounter)


# --- the lock ------------------------------------------------------------------------------


def _has_changes(target: Any, mapper: Mapper[Any]) -> bool:
    state = inspect(target)
    return any(state.attrs[attr.key].history.has_changes() for attr in mapper.column_attrs)


@event.listens_for(NoteDraftRecord, "before_update")
def _refuse_changing_a_signed_note(
    mapper: Mapper[Any], connection: Connection, target: NoteDraftRecord
) -> None:
    if not _has_changes(target, mapper):
        return
    signed = connection.execute(
        sa_select(col(NoteSignature.id)).where(col(NoteSignature.note_id) == target.id)
    ).first()
    if signed is not None:
        raise NoteLocked(f"note version {target.version} is signed and cannot be changed")


@event.listens_for(NoteDraftRecord, "before_delete")
def _refuse_deleting_a_signed_note(
    _mapper: Mapper[Any], connection: Connection, target: NoteDraftRecord
) -> None:
    signed = connection.execute(
        sa_select(col(NoteSignature.id)).where(col(NoteSignature.note_id) == target.id)
    ).first()
    if signed is not None:
        raise NoteLocked(f"note version {target.version} is signed and cannot be deleted")


@event.listens_for(NoteSignature, "before_update")
def _refuse_changing_a_signature(
    mapper: Mapper[Any], _connection: Connection, target: NoteSignature
) -> None:
    if _has_changes(target, mapper):
        raise NoteLocked("a note signature cannot be changed")
