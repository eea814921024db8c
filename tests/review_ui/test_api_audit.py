"""Compliance API: who may search, export and verify; every such read is itself audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from review_ui.app import create_app
from scribe.audit_export import verify_export
from scribe.settings import Settings
from tests.review_ui.auth import client_as


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


def test_only_compliance_and_admin_read_the_trail(app: FastAPI) -> None:
    for role in ("clinician", "coder"):
        client = client_as(app, f"{role}1", role)
        assert client.get("/api/audit/events").status_code == 403
        assert client.get("/api/audit/export").status_code == 403
        assert client.get("/api/audit/verify").status_code == 403
    compliance = client_as(app, "comp1", "compliance")
    assert compliance.get("/api/audit/events").status_code == 200


def test_search_filters_pages_and_is_audited(app: FastAPI) -> None:
    compliance = client_as(app, "comp1", "compliance")
    first = compliance.get("/api/audit/events", params={"actor": "user:comp1", "limit": 1})
    assert first.status_code == 200
    body = first.json()
    assert body["total"] >= 1 and all(e["actor"] == "user:comp1" for e in body["events"])
    searched = compliance.get("/api/audit/events", params={"action": "audit.searched"}).json()
    assert searched["total"] == 2  # the first search, then this one
    assert compliance.get("/api/audit/events", params={"since": "soon"}).status_code == 422
    assert compliance.get("/api/audit/events", params={"limit": 100000}).status_code == 422


def test_export_downloads_verify_alone(app: FastAPI, tmp_path: Path) -> None:
    compliance = client_as(app, "comp1", "compliance")
    key = compliance.get("/api/audit/public-key").json()["public_key"]
    response = compliance.get("/api/audit/export", params={"format": "jsonl"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    path = tmp_path / "audit.jsonl"
    path.write_bytes(response.content)
    check = verify_export(path, trusted_public_key=key)
    assert check.ok and check.complete_chain, check.problems
    fhir = compliance.get("/api/audit/export", params={"format": "fhir"}).json()
    assert fhir["resourceType"] == "Bundle"
    assert any(e["resource"]["type"]["code"] == "audit.exported" for e in fhir["entry"])
    csv_text = compliance.get("/api/audit/export", params={"format": "csv"}).text
    assert csv_text.startswith("seq,occurred_at,actor")
    assert compliance.get("/api/audit/export", params={"format": "xml"}).status_code == 422


def test_verify_reports_the_chain(app: FastAPI) -> None:
    compliance = client_as(app, "comp1", "compliance")
    body = compliance.get("/api/audit/verify").json()
    assert body["ok"] and body["checked"] >= 2
    newest = compliance.get("/api/audit/events", params={"limit": 2}).json()["events"]
    assert [e["action"] for e in newest] == ["audit.searched", "audit.verified"]
    assert newest[1]["details"]["ok"] is True
