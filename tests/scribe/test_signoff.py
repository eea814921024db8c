"""Note edits and sign-off, straight against the domain functions on a real SQLite database."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from scribe.db import transaction
from scribe.schemas import NoteSectionUpdate, NoteSentenceUpdate
from scribe.services import Conflict, NotFound
from scribe.signoff import (
    ATTESTATION_STATEMENT,
    InvalidEdit,
    NoteLocked,
    canonical_note_content,
    save_note_edit,
    sign_note,
    signature_chain,
    verify_signature,
)
from scribe.tables import AuditEvent, NoteDraftRecord, NoteSignature
from tests.coding.signoff_data import edit_of, make_encounter, store_note

EDITED = "Type 2 diabetes with diabetic polyneuropathy, worsening; refer to podiatry."


@pytest.fixture
def encounter_id(engine: Engine) -> str:
    with transaction(engine) as session:
        encounter_id = make_encounter(session)
        store_note(session, encounter_id)
    return encounter_id


def _edit(engine: Engine, encounter_id: str, base: int, **kwargs: object) -> NoteDraftRecord:
    with transaction(engine) as session:
        note = session.exec(
            select(NoteDraftRecord).where(
                NoteDraftRecord.encounter_id == encounter_id, NoteDraftRecord.version == base
            )
        ).one()
        stored, _ = save_note_edit(
            session=session,
            encounter_id=encounter_id,
            base_version=base,
            sections=edit_of(note, {"ap-1": EDITED}),
            actor="user:dr",
            **kwargs,  # type: ignore[arg-type]
        )
        return stored


def _sign(engine: Engine, encounter_id: str, version: int) -> NoteSignature:
    with transaction(engine) as session:
        return sign_note(
            session=session,
            encounter_id=encounter_id,
            version=version,
            signer="user:dr",
            attestation=ATTESTATION_STATEMENT,
        )


def _actions(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return [row.action for row in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def _sentences(note: NoteDraftRecord) -> dict[str, dict[str, object]]:
    return {s["id"]: s for section in note.sections for s in section["sentences"]}


def test_an_edit_is_a_new_version_that_keeps_evidence_of_unchanged_sentences(
    engine: Engine, encounter_id: str
) -> None:
    note = _edit(engine, encounter_id, 1)
    assert note.version == 2 and note.created_by == "user:dr"
    sentences = _sentences(note)
    assert sentences["ap-1"]["text"] == EDITED
    assert sentences["ap-1"]["author"] == "clinician" and sentences["ap-1"]["evidence"] == []
    assert sentences["ap-2"].get("author", "drafter") == "drafter"
    assert sentences["ap-2"]["evidence"], "an unchanged sentence keeps its evidence links"
    assert note.provenance[-1]["component"] == "clinician-edit"
    assert note.provenance[-1]["parameters"]["base_version"] == 1
    assert "note.edit" in _actions(engine)


def test_new_sentences_get_fresh_ids_and_unknown_sections_are_refused(
    engine: Engine, encounter_id: str
) -> None:
    with transaction(engine) as session:
        base = session.exec(select(NoteDraftRecord)).one()
        sections = edit_of(base)
        sections[1].sentences.append(NoteSentenceUpdate(text="Recheck A1c in three months."))
        note, created = save_note_edit(
            session=session, encounter_id=encounter_id, base_version=1, sections=sections, actor="a"
        )
    added = [s for s in _sentences(note).values() if s["text"].startswith("Recheck")]
    assert created and added[0]["author"] == "clinician" and added[0]["id"] not in _sentences(base)
    with pytest.raises(InvalidEdit), transaction(engine) as session:
        save_note_edit(
            session=session,
            encounter_id=encounter_id,
            base_version=2,
            sections=[NoteSectionUpdate(key="gossip", sentences=[])],
            actor="a",
        )


def test_an_unchanged_edit_stores_nothing_and_a_retried_edit_is_not_stored_twice(
    engine: Engine, encounter_id: str
) -> None:
    with transaction(engine) as session:
        base = session.exec(select(NoteDraftRecord)).one()
        same, created = save_note_edit(
            session=session,
            encounter_id=encounter_id,
            base_version=1,
            sections=edit_of(base),
            actor="user:dr",
        )
    assert (same.version, created) == (1, False)
    first = _edit(engine, encounter_id, 1)
    again = _edit(engine, encounter_id, 1)
    assert again.id == first.id


def test_editing_a_stale_version_is_a_conflict(engine: Engine, encounter_id: str) -> None:
    _edit(engine, encounter_id, 1)
    with pytest.raises(Conflict, match="not the newest"), transaction(engine) as session:
        base = session.exec(select(NoteDraftRecord).where(NoteDraftRecord.version == 1)).one()
        save_note_edit(
            session=session,
            encounter_id=encounter_id,
            base_version=1,
            sections=edit_of(base, {"ap-3": "COPD, stable."}),
            actor="user:other",
        )


def test_signing_locks_and_hashes_the_version(engine: Engine, encounter_id: str) -> None:
    signature = _sign(engine, encounter_id, 1)
    with transaction(engine) as session:
        note = session.exec(select(NoteDraftRecord)).one()
        expected = hashlib.sha256(canonical_note_content(note)).hexdigest()
        assert signature.content_sha256 == expected
        assert json.loads(canonical_note_content(note))["version"] == 1
        assert verify_signature(session, signature)
    with pytest.raises(NoteLocked), transaction(engine) as session:
        locked = session.exec(select(NoteDraftRecord)).one()
        locked.unsupported_count = 5
        session.add(locked)
    with pytest.raises(NoteLocked), transaction(engine) as session:
        row = session.exec(select(NoteSignature)).one()
        row.signer = "user:someone-else"
        session.add(row)
    assert "note.sign" in _actions(engine)


def test_sign_off_steps_cannot_be_skipped_or_repeated(engine: Engine, encounter_id: str) -> None:
    _edit(engine, encounter_id, 1)
    with pytest.raises(Conflict, match="not the newest"):
        _sign(engine, encounter_id, 1)
    with pytest.raises(NotFound):
        _sign(engine, encounter_id, 9)
    with pytest.raises(NotFound):
        _sign(engine, "no-such-encounter", 1)
    with pytest.raises(InvalidEdit), transaction(engine) as session:
        sign_note(
            session=session, encounter_id=encounter_id, version=2, signer="u", attestation="  "
        )
    _sign(engine, encounter_id, 2)
    with pytest.raises(Conflict, match="already signed"):
        _sign(engine, encounter_id, 2)


def test_an_edit_after_sign_off_is_an_amendment_with_its_own_sign_off(
    engine: Engine, encounter_id: str
) -> None:
    original = _sign(engine, encounter_id, 1)
    with pytest.raises(Conflict, match="amendment"):
        _edit(engine, encounter_id, 1)
    amended = _edit(engine, encounter_id, 1, amendment_reason="neuropathy worse on exam")
    assert amended.version == 2
    assert amended.provenance[-1]["parameters"]["amendment_reason"] == "neuropathy worse on exam"
    assert _actions(engine)[-1] == "note.amend"
    second = _sign(engine, encounter_id, 2)
    assert second.amends_signature_id == original.id
    with transaction(engine) as session:
        chain = signature_chain(session, encounter_id)
    assert [s.version for s in chain] == [1, 2]


def test_a_signed_note_changed_behind_the_service_no_longer_verifies(
    engine: Engine, encounter_id: str
) -> None:
    signature = _sign(engine, encounter_id, 1)
    with engine.begin() as connection:  # bypasses the ORM guard, as a direct SQL edit would
        connection.execute(text("UPDATE note_draft SET sections = '[]'"))
    with transaction(engine) as session:
        assert not verify_signature(session, signature)
