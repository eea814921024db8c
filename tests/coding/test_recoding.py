"""A note edit re-codes the new version: earlier suggestions are superseded, decisions carried.

The story: the clinician accepts the diabetes code and the atrial fibrillation prompt, documents
the atrial fibrillation in an edit, the new version is coded, the new `supported` I48.91 is
accepted, the version is signed and both codes are submitted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from coding.services import change_status
from coding.submission import edit_note, submit_encounter
from coding.tables import SuggestionRecord
from scribe.db import make_engine, transaction
from scribe.services import Conflict
from scribe.signoff import ATTESTATION_STATEMENT, sign_note
from scribe.tables import Job, NoteDraftRecord
from tests.coding.signoff_data import (
    AFIB_PROMPT,
    DIABETES,
    accept,
    edit_of,
    make_encounter,
    store_note,
    store_suggestions,
    suggestion,
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    from review_ui.app import migrate

    url = f"sqlite:///{tmp_path / 'recode.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_edit_recodes_supersedes_and_carries_decisions(db: Engine) -> None:
    with transaction(db) as session:
        encounter_id = make_encounter(session)
        note = store_note(session, encounter_id)
        diabetes, afib = store_suggestions(session, note, DIABETES, AFIB_PROMPT)
        accept(session, diabetes)
        accept(session, afib)
    with transaction(db) as session:
        note = session.exec(select(NoteDraftRecord)).one()
        sections = edit_of(note)
        sections[-1].sentences.append(
            type(sections[-1].sentences[0])(
                text="Atrial fibrillation, rate controlled on apixaban."
            )
        )
        edited, created, _ = edit_note(
            session=session,
            encounter_id=encounter_id,
            base_version=1,
            sections=sections,
            actor="user:dr",
            recode_max_attempts=3,
        )
    assert created and edited.version == 2
    with transaction(db) as session:
        jobs = session.exec(select(Job).where(Job.kind == "code")).all()
        assert [job.payload["note_id"] for job in jobs] == [edited.id]
        sentence_id = next(
            s["id"]
            for section in edited.sections
            for s in section["sentences"]
            if s["text"].startswith("Atrial")
        )
        afib_supported = suggestion(
            "I48.91",
            evidence=((sentence_id, "Atrial fibrillation"),),
            meat=(("T", sentence_id, "rate controlled on apixaban"),),
        )
        new_rows = store_suggestions(session, edited, DIABETES, afib_supported)
    with transaction(db) as session:
        rows = {
            (r.note_version, r.kind, r.icd10): r for r in session.exec(select(SuggestionRecord))
        }
        assert rows[(1, "supported", "E11.42")].status == "superseded"
        assert rows[(1, "undocumented", "I48.91")].status == "superseded"
        carried = rows[(2, "supported", "E11.42")]
        assert carried.status == "accepted" and carried.status_by == "user:dr"
        assert "carried over from note version 1" in (carried.status_reason or "")
        assert rows[(2, "supported", "I48.91")].status == "open"
        with pytest.raises(Conflict):
            change_status(
                session=session,
                suggestion_id=rows[(1, "supported", "E11.42")].id,
                status="accepted",
                reason=None,
                actor="user:dr",
            )
        accept(session, new_rows[1])
        sign_note(
            session=session,
            encounter_id=encounter_id,
            version=2,
            signer="user:dr",
            attestation=ATTESTATION_STATEMENT,
        )
    with transaction(db) as session:
        submission, _ = submit_encounter(
            session=session, encounter_id=encounter_id, actor="user:dr"
        )
    assert submission.note_version == 2
