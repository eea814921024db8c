"""The sign-off gate through the API: edit, sign with password re-entry, submit; 409 on skips."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.db import transaction
from scribe.settings import Settings
from scribe.signoff import ATTESTATION_STATEMENT
from tests.coding.signoff_data import AFIB_PROMPT, COPD, DIABETES, store_note, store_suggestions
from tests.review_ui.auth import PASSWORD, add_user, client_as


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def clinician(app: FastAPI) -> Iterator[TestClient]:
    with client_as(app, "dr.lee", "clinician") as client:
        yield client


@pytest.fixture
def encounter_id(app: FastAPI, clinician: TestClient) -> str:
    """The clinician's encounter with note version 1 and two accepted suggestions."""
    patient = clinician.post("/api/patients", json={"birth_date": "1954-06-01", "sex": "F"})
    encounter = clinician.post(
        "/api/encounters",
        json={"patient_id": patient.json()["id"], "date_of_service": "2026-03-15"},
    )
    assert encounter.status_code == 201, encounter.text
    encounter_id = str(encounter.json()["id"])
    with transaction(app.state.engine) as session:
        note = store_note(session, encounter_id)
        rows = store_suggestions(session, note, DIABETES, COPD, AFIB_PROMPT)
        ids = [row.id for row in rows[:2]]
    for suggestion_id in ids:
        accepted = clinician.post(
            f"/api/suggestions/{suggestion_id}/status", json={"status": "accepted"}
        )
        assert accepted.status_code == 200, accepted.text
    return encounter_id


def _note(client: TestClient, encounter_id: str) -> dict[str, Any]:
    response = client.get(f"/api/encounters/{encounter_id}/note")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _edit_body(note: dict[str, Any], replace: dict[str, str], **extra: Any) -> dict[str, Any]:
    sections = [
        {
            "key": section["key"],
            "sentences": [
                {**sentence, "text": replace.get(sentence["id"], sentence["text"])}
                for sentence in section["sentences"]
            ],
        }
        for section in note["sections"]
    ]
    return {"base_version": note["version"], "sections": sections, **extra}


def _sign(client: TestClient, encounter_id: str, version: int, password: str = PASSWORD) -> Any:
    return client.post(
        f"/api/encounters/{encounter_id}/note/sign",
        json={"version": version, "attestation": ATTESTATION_STATEMENT, "password": password},
    )


def _count(settings: Settings, sql: str) -> int:
    from scribe.db import make_engine

    with make_engine(settings.database_url).connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_the_full_gate_through_the_api(
    clinician: TestClient, encounter_id: str, settings: Settings
) -> None:
    base = f"/api/encounters/{encounter_id}"
    assert clinician.post(f"{base}/submission").status_code == 409  # not signed yet
    assert clinician.get(f"{base}/submission").status_code == 404

    signed = _sign(clinician, encounter_id, 1)
    assert signed.status_code == 201, signed.text
    assert signed.json()["signer"] == "user:dr.lee" and len(signed.json()["content_sha256"]) == 64
    assert _sign(clinician, encounter_id, 1).status_code == 409  # already signed

    note = _note(clinician, encounter_id)
    locked = clinician.put(f"{base}/note", json=_edit_body(note, {"hpi-1": "Numb feet."}))
    assert locked.status_code == 409 and "amendment" in locked.json()["detail"]

    created = clinician.post(f"{base}/submission")
    assert created.status_code == 201, created.text
    submission = created.json()
    assert sorted(code["icd10"] for code in submission["codes"]) == ["E11.42", "J44.9"]
    assert submission["status"] == "pending" and submission["bundle"] is None
    again = clinician.post(f"{base}/submission")
    assert again.status_code == 200 and again.json()["id"] == submission["id"]
    read = clinician.get(f"{base}/submission", params={"include_bundle": "true"}).json()
    assert read["bundle"]["identifier"]["value"] == submission["id"]

    amended = clinician.put(
        f"{base}/note",
        json=_edit_body(note, {"hpi-1": "Numb feet for a year."}, amendment_reason="history"),
    )
    assert amended.status_code == 200, amended.text
    body = amended.json()
    assert (body["version"], body["created"], body["amendment"]) == (2, True, True)
    assert body["invalidated_submissions"] == [submission["id"]]
    assert clinician.get(f"{base}/submission").json()["status"] == "invalidated"
    assert clinician.post(f"{base}/submission").status_code == 409  # the amendment is unsigned

    assert _sign(clinician, encounter_id, 1).status_code == 409  # stale version
    resigned = _sign(clinician, encounter_id, 2)
    assert resigned.status_code == 201 and resigned.json()["amends_signature_id"]
    second = clinician.post(f"{base}/submission")
    assert second.status_code == 201 and second.json()["id"] != submission["id"]
    listed = clinician.get(f"{base}/submission").json()
    assert [item["id"] for item in listed["previous"]] == [submission["id"]]
    chain = clinician.get(f"{base}/note/signatures").json()
    assert [item["version"] for item in chain] == [1, 2]
    assert _count(settings, "SELECT COUNT(*) FROM submission") == 2


def test_a_wrong_password_signs_nothing(
    clinician: TestClient, encounter_id: str, settings: Settings
) -> None:
    refused = _sign(clinician, encounter_id, 1, password="not the password at all")
    assert refused.status_code == 403
    assert _count(settings, "SELECT COUNT(*) FROM note_signature") == 0
    failures = "SELECT COUNT(*) FROM audit_event WHERE action = 'note.sign' AND outcome = 'failure'"
    assert _count(settings, failures) == 1


def test_stale_and_malformed_edits(clinician: TestClient, encounter_id: str) -> None:
    base = f"/api/encounters/{encounter_id}"
    note = _note(clinician, encounter_id)
    first = clinician.put(f"{base}/note", json=_edit_body(note, {"ap-2": "Stop metformin."}))
    assert first.status_code == 200 and first.json()["version"] == 2
    other = clinician.put(f"{base}/note", json=_edit_body(note, {"ap-2": "Hold metformin."}))
    assert other.status_code == 409  # made on version 1, which is no longer the newest
    assert clinician.put(f"{base}/note", json={"sections": []}).status_code == 422
    unknown = _edit_body(note, {})
    unknown["base_version"] = 2
    unknown["sections"][0]["key"] = "horoscope"
    assert clinician.put(f"{base}/note", json=unknown).status_code == 422
    assert clinician.put("/api/encounters/nope/note", json=_edit_body(note, {})).status_code == 404
    assert _sign(clinician, encounter_id, 7).status_code == 404
    bad_sign = clinician.post(f"{base}/note/sign", json={"version": 2, "password": PASSWORD})
    assert bad_sign.status_code == 422


def test_only_the_clinician_signs(app: FastAPI, encounter_id: str) -> None:
    add_user(app, "coder.kim", "coder")
    add_user(app, "boss", "admin")
    for username in ("coder.kim", "boss"):
        with client_as(app, username) as other:
            assert _sign(other, encounter_id, 1).status_code == 403
    with client_as(app, "coder.kim") as coder:
        assert coder.post(f"/api/encounters/{encounter_id}/submission").status_code == 409


def test_the_destination_follows_the_settings(settings: Settings) -> None:
    from pydantic import ValidationError

    from coding.delivery import DirectoryDestination, FhirServerDestination
    from review_ui.composition import build_destination

    folder = build_destination(settings)
    assert isinstance(folder, DirectoryDestination)
    assert folder.directory == settings.data_dir / "submissions"
    server = build_destination(
        settings.model_copy(update={"submission_fhir_url": "https://fhir.example.org/r4"})
    )
    assert isinstance(server, FhirServerDestination)
    with pytest.raises(ValidationError, match="SCRIBE_SUBMISSION_FHIR_URL"):
        Settings(DATABASE_URL=settings.database_url, submission_fhir_url="ftp://x")


def test_sign_off_password_entry_is_throttled(clinician: TestClient, encounter_id: str) -> None:
    for _ in range(5):
        assert _sign(clinician, encounter_id, 1, password="not the password").status_code == 403
    throttled = _sign(clinician, encounter_id, 1)
    assert throttled.status_code == 429, throttled.text
    assert clinician.get(f"/api/encounters/{encounter_id}/note/signatures").json() == []
