"""The suggestions API: per encounter, the coder queue with filters, review decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from coding.contracts import EvidenceItem, Suggestion, SuggestionReport
from coding.services import store_report
from review_ui.app import create_app
from scribe.contracts import Provenance
from scribe.db import make_engine, transaction
from scribe.settings import Settings
from tests.review_ui.auth import add_user, sign_in


def _suggestion(kind: str, icd10: str, hcc: str, delta: float) -> Suggestion:
    return Suggestion(
        id=f"{kind}-{icd10}",
        kind=kind,
        family="test",
        label=icd10,
        icd10=icd10,  # type: ignore[arg-type]
        description=f"description of {icd10}",
        hcc_v28=(hcc,),
        raf_delta_v28=delta,
        evidence=(EvidenceItem(source="note_sentence", ref="s1", quote="quoted words"),),
        rule_id="test.rule",
        rules_version="t1",
        code_set_year="FY2026",
        confidence=0.9,
    )


def _report(*suggestions: Suggestion) -> SuggestionReport:
    return SuggestionReport(
        date_of_service=date(2026, 11, 2),
        code_set_year="FY2026",
        payment_year=2026,
        suggestions=suggestions,
        provenance=Provenance(component="test", code_version="t"),
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    add_user(app, "boss", "admin")
    with TestClient(app) as test_client:
        sign_in(test_client, "boss")
        yield test_client


def _encounter(client: TestClient, clinician: str, day: str) -> str:
    patient = client.post("/api/patients", json={"birth_date": "1950-01-01", "sex": "M"}).json()
    return str(
        client.post(
            "/api/encounters",
            json={
                "patient_id": patient["id"],
                "date_of_service": day,
                "clinician": clinician,
            },
        ).json()["id"]
    )


@pytest.fixture
def stored(client: TestClient, settings: Settings) -> dict[str, str]:
    first = _encounter(client, "Dr A", "2026-11-02")
    second = _encounter(client, "Dr B", "2026-10-01")
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        store_report(
            session=session,
            report=_report(
                _suggestion("supported", "E11.40", "37", 0.166),
                _suggestion("undocumented", "I48.91", "238", 0.299),
            ),
            encounter_id=first,
            note_id=None,
            note_version=None,
            job_id=None,
            actor="t",
        )
        store_report(
            session=session,
            report=_report(_suggestion("recapture", "J44.9", "280", 0.319)),
            encounter_id=second,
            note_id=None,
            note_version=None,
            job_id=None,
            actor="t",
        )
    return {"first": first, "second": second}


def test_encounter_suggestions_carry_evidence(client: TestClient, stored: dict[str, str]) -> None:
    rows = client.get(f"/api/encounters/{stored['first']}/suggestions").json()
    assert [row["icd10"] for row in rows] == ["E11.40", "I48.91"]
    assert rows[0]["payload"]["evidence"][0]["quote"] == "quoted words"
    assert all(row["status"] == "open" for row in rows)


def test_coding_runs_keep_report_level_figures(client: TestClient, stored: dict[str, str]) -> None:
    runs = client.get(f"/api/encounters/{stored['first']}/coding-runs").json()
    assert len(runs) == 1
    assert (runs[0]["suggestion_count"], runs[0]["code_set_year"]) == (2, "FY2026")


def test_queue_sorts_by_raf_and_filters(client: TestClient, stored: dict[str, str]) -> None:
    page = client.get("/api/suggestions").json()
    assert page["total"] == 3
    assert [item["icd10"] for item in page["items"]] == ["J44.9", "I48.91", "E11.40"]
    assert client.get("/api/suggestions", params={"kind": "recapture"}).json()["total"] == 1
    assert client.get("/api/suggestions", params={"clinician": "Dr A"}).json()["total"] == 2
    assert client.get("/api/suggestions", params={"hcc": "37"}).json()["total"] == 1
    assert client.get("/api/suggestions", params={"date_from": "2026-11-01"}).json()["total"] == 2
    paged = client.get("/api/suggestions", params={"limit": 1, "offset": 1}).json()
    assert [item["icd10"] for item in paged["items"]] == ["I48.91"]
    assert client.get("/api/suggestions", params={"limit": 0}).status_code == 422


def test_status_changes_need_reasons_and_are_audited(
    client: TestClient, settings: Settings, stored: dict[str, str]
) -> None:
    row = client.get(f"/api/encounters/{stored['first']}/suggestions").json()[0]
    url = f"/api/suggestions/{row['id']}/status"
    assert client.post(url, json={"status": "rejected"}).status_code == 422
    assert client.post(url, json={"status": "approved"}).status_code == 422
    accepted = client.post(url, json={"status": "accepted"})
    assert accepted.status_code == 200
    assert accepted.json()["status_by"] == "user:boss"
    rejected = client.post(url, json={"status": "rejected", "reason": "not addressed today"})
    assert rejected.json()["status_reason"] == "not addressed today"
    assert (
        client.post("/api/suggestions/nope/status", json={"status": "accepted"}).status_code == 404
    )
    assert client.get("/api/suggestions", params={"status": "rejected"}).json()["total"] == 1
    with make_engine(settings.database_url).connect() as connection:
        changes = connection.execute(
            text("SELECT COUNT(*) FROM audit_event WHERE action = 'suggestion.status'")
        ).scalar()
    assert changes == 2


def test_a_rerun_job_stores_its_suggestions_once(settings: Settings, client: TestClient) -> None:
    encounter = _encounter(client, "Dr A", "2026-11-02")
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        from scribe import jobs

        job = jobs.enqueue(session, kind="code", encounter_id=encounter, payload={}, max_attempts=3)
        report = _report(_suggestion("supported", "E11.40", "37", 0.166))
        first = store_report(
            session=session,
            report=report,
            encounter_id=encounter,
            note_id=None,
            note_version=None,
            job_id=job.id,
            actor="t",
        )
        again = store_report(
            session=session,
            report=report,
            encounter_id=encounter,
            note_id=None,
            note_version=None,
            job_id=job.id,
            actor="t",
        )
    assert (first, again) == (1, 0)
