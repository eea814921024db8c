"""De-identified export through the API: no PHI leaves, the mapping stays, re-identification."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.contracts import Draft, Evidence, NoteSection, NoteSentence
from scribe.db import make_engine, transaction
from scribe.services import note_record_from_draft
from scribe.settings import Settings
from scribe.tables import Recording, TranscriptRecord, TranscriptSegmentRecord
from tests.review_ui.auth import add_user, sign_in

SAID = [
    ("clinician", "Hello Mr. Bartholomew Quince, you were born on July 4th 1950?"),
    ("patient", "Yes. My son Oliver Quince drove me from 12 Maple Street in Springfield."),
    ("clinician", "Your blood pressure is 142/88. Keep taking Eliquis 5 mg twice daily."),
]
PHI = ("Bartholomew", "Quince", "Oliver", "Maple Street", "July 4th")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    add_user(app, "dr.a", "clinician")
    with TestClient(app) as test_client:
        sign_in(test_client, "dr.a")
        yield test_client


@pytest.fixture
def encounter_id(client: TestClient, settings: Settings) -> str:
    patient = client.post("/api/patients", json={"birth_date": "1950-07-04", "sex": "M"}).json()
    encounter_id = str(
        client.post(
            "/api/encounters", json={"patient_id": patient["id"], "date_of_service": "2026-11-20"}
        ).json()["id"]
    )
    with transaction(make_engine(settings.database_url)) as session:
        recording = Recording(
            encounter_id=encounter_id, storage_path="x", sha256="0" * 64, size_bytes=1
        )
        session.add(recording)
        session.flush()
        record = TranscriptRecord(encounter_id=encounter_id, recording_id=recording.id)
        session.add(record)
        session.flush()
        session.add_all(
            TranscriptSegmentRecord(
                transcript_id=record.id, seq=i, start=i, end=i + 1, speaker=who, text=said
            )
            for i, (who, said) in enumerate(SAID)
        )
        sentence = NoteSentence(
            id="s1",
            text="Mr. Bartholomew Quince takes Eliquis 5 mg.",
            evidence=(Evidence(segment_id=2, score=1, method="lexical"),),
        )
        draft = Draft(
            sections=(NoteSection(key="hpi", title="HPI", sentences=(sentence,)),), drafter="test"
        )
        session.add(
            note_record_from_draft(
                draft,
                encounter_id=encounter_id,
                transcript_id=record.id,
                version=1,
                job_id=None,
                created_by="t",
            )
        )
    return encounter_id


def test_surrogate_export_leaves_no_phi_and_keeps_the_clinical_facts(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    response = client.post(f"/api/encounters/{encounter_id}/exports")
    assert response.status_code == 201, response.text
    body = response.json()
    for phi in PHI:
        assert phi not in response.text, phi
    texts = {item["key"]: item["text"] for item in body["texts"]}
    assert "Eliquis 5 mg" in texts["transcript"] and "142/88" in texts["transcript"]
    assert "mapping" not in body
    with make_engine(settings.database_url).connect() as connection:
        stored = connection.execute(text("SELECT mapping FROM deid_export")).scalar_one()
        assert "Quince" in stored  # the mapping stays server-side
    surrogate_note = texts["note"]
    back = client.post(
        f"/api/exports/{body['export_id']}/reidentify", json={"text": surrogate_note}
    )
    assert "Bartholomew Quince" in back.json()["text"]


def test_tag_export_and_bad_requests(client: TestClient, encounter_id: str) -> None:
    tagged = client.post(f"/api/encounters/{encounter_id}/exports", params={"operator": "tag"})
    assert tagged.status_code == 201
    assert "Quince" not in tagged.text
    assert (
        client.post(
            f"/api/encounters/{encounter_id}/exports", params={"operator": "shred"}
        ).status_code
        == 422
    )
    assert client.post("/api/encounters/nope/exports").status_code == 404
    assert client.post("/api/exports/nope/reidentify", json={"text": "x"}).status_code == 404
