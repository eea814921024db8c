"""The server-rendered pages: who sees what, one audit event per page view, fail closed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.db import transaction
from scribe.settings import Settings
from tests.coding.signoff_data import AFIB_PROMPT, DIABETES, store_note, store_suggestions
from tests.review_ui.auth import client_as

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def clinician(app: FastAPI) -> TestClient:
    return client_as(app, "dr.lee", "clinician")


@pytest.fixture
def encounter_id(app: FastAPI, clinician: TestClient) -> str:
    patient = clinician.post("/api/patients", json={"birth_date": "1951-02-03", "sex": "M"})
    encounter = clinician.post(
        "/api/encounters",
        json={"patient_id": patient.json()["id"], "date_of_service": "2026-03-15"},
    )
    encounter_id = str(encounter.json()["id"])
    with transaction(app.state.engine) as session:
        note = store_note(session, encounter_id)
        store_suggestions(session, note, DIABETES, AFIB_PROMPT)
    return encounter_id


def _events(app: FastAPI, action: str) -> int:
    with app.state.engine.connect() as connection:
        query = text("SELECT COUNT(*) FROM audit_event WHERE action = :a")
        return int(connection.execute(query, {"a": action}).scalar_one())


def test_clinician_lists_and_reviews_own_encounter(
    app: FastAPI, clinician: TestClient, encounter_id: str
) -> None:
    listing = clinician.get("/encounters", headers=HTML)
    assert listing.status_code == 200 and f"/encounters/{encounter_id}" in listing.text
    page = clinician.get(f"/encounters/{encounter_id}", headers=HTML)
    assert page.status_code == 200
    assert "Type 2 diabetes with diabetic polyneuropathy" in page.text
    assert 'id="sign-form"' in page.text and "I attest" in page.text
    assert "E11.42" in page.text and "Discussed, not documented" in page.text
    assert _events(app, "encounter.review_viewed") == 1

    other = client_as(app, "dr.kim", "clinician")
    assert other.get(f"/encounters/{encounter_id}", headers=HTML).status_code == 404
    assert f"/encounters/{encounter_id}" not in other.get("/encounters", headers=HTML).text


def test_coder_reviews_without_audio_or_sign_off(app: FastAPI, encounter_id: str) -> None:
    coder = client_as(app, "cody", "coder")
    page = coder.get(f"/encounters/{encounter_id}", headers=HTML)
    assert page.status_code == 200
    assert "<audio" not in page.text and 'id="sign-form"' not in page.text
    assert 'class="decide"' in page.text


def test_compliance_page_searches_and_verifies(app: FastAPI, encounter_id: str) -> None:
    compliance = client_as(app, "comp", "compliance")
    assert compliance.get(f"/encounters/{encounter_id}", headers=HTML).status_code == 403
    page = compliance.get("/compliance", params={"encounter_id": encounter_id}, headers=HTML)
    assert page.status_code == 200
    assert f"/api/audit/packets/{encounter_id}" in page.text
    assert "encounter.create" in page.text or "encounter.created" in page.text
    verified = compliance.get("/compliance", params={"verify": "true"}, headers=HTML)
    assert "Chain verified" in verified.text
    bad = compliance.get("/compliance", params={"since": "last week"}, headers=HTML)
    assert bad.status_code == 200 and "since is not an ISO date" in bad.text


def test_a_failing_audit_write_fails_the_page(
    app: FastAPI, clinician: TestClient, encounter_id: str
) -> None:
    with app.state.engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_head"))  # the next audit write cannot happen
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies = clinician.cookies
    response = client.get(f"/encounters/{encounter_id}", headers=HTML)
    assert response.status_code >= 500
    assert "polyneuropathy" not in response.text
