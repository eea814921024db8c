"""Every route declares its authorisation policy, and the roles see what they should.

Clinicians: their own encounters only (others' are "not found"). Coders: notes, transcripts,
evidence, suggestions, never audio. Compliance: not clinical content. Admins: everything.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from coding.tables import SuggestionRecord
from review_ui.app import create_app
from review_ui.deps import ActorDep
from review_ui.policy import route_policies, routes_without_policy
from scribe import jobs
from scribe.db import transaction
from scribe.settings import Settings
from scribe.tables import DeidExportRecord
from tests.review_ui.auth import add_user, client_as

ROLES = {"dr.a": "clinician", "dr.b": "clinician", "kim": "coder", "cara": "compliance"}


def test_every_route_declares_exactly_one_policy(settings: Settings) -> None:
    app = create_app(settings)
    table = route_policies(app)
    assert routes_without_policy(app) == [], "routes without exactly one declared policy"
    assert table["GET /api/health"] == ["public"]
    assert table["MOUNT /static"] == ["public"]
    assert all(names != ["public"] for route, names in table.items() if "/encounters" in route)
    assert len(table) >= 25


def test_a_route_without_a_policy_is_caught(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/api/leaky")
    def leaky(actor: ActorDep) -> str:  # signed in, but no declared policy
        return actor

    @app.get("/api/open")
    def open_route() -> str:
        return "x"

    assert routes_without_policy(app) == ["GET /api/leaky", "GET /api/open"]


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_without_a_session_only_public_routes_answer(settings: Settings) -> None:
    app = create_app(settings)
    client = TestClient(app)
    checked = 0
    for route, names in route_policies(app).items():
        if names == ["public"]:
            continue
        methods, path = route.split(" ", 1)
        for method in methods.split(","):
            response = client.request(method, _fill(path))
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked >= 20


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    """dr.a owns an encounter with a job, a suggestion and an export; everyone signed in."""
    app = create_app(settings)
    add_user(app, "ada", "admin")
    for name, role in ROLES.items():
        add_user(app, name, role)
    clients = {name: client_as(app, name) for name in [*ROLES, "ada"]}
    owner = clients["dr.a"]
    patient = owner.post("/api/patients", json={"birth_date": "1950-01-01", "sex": "F"}).json()
    encounter = owner.post(
        "/api/encounters", json={"patient_id": patient["id"], "date_of_service": "2026-11-20"}
    ).json()
    with transaction(app.state.engine) as session:
        job = jobs.enqueue(
            session, kind="transcribe", encounter_id=encounter["id"], payload={}, max_attempts=3
        )
        suggestion = SuggestionRecord(encounter_id=encounter["id"], kind="supported")
        export = DeidExportRecord(
            encounter_id=encounter["id"], operator="surrogate", mapping={}, created_by="t"
        )
        session.add_all([suggestion, export])
        session.flush()
        ids = {"e": encounter["id"], "job": job.id, "s": suggestion.id, "x": export.id}
    return {"app": app, "clients": clients, "ids": ids, "patient": patient["id"]}


AUDIO = ("POST", "/api/encounters/{e}/recordings")
MATRIX = [
    # (user, method, path, expected status)
    ("dr.a", "GET", "/api/encounters/{e}", 200),
    ("dr.a", "GET", "/api/jobs/{job}", 200),
    ("dr.a", "GET", "/api/encounters/{e}/suggestions", 200),
    ("dr.a", "GET", "/api/suggestions", 403),
    ("dr.b", "GET", "/api/encounters/{e}", 404),
    ("dr.b", "GET", "/api/encounters/{e}/transcript", 404),
    ("dr.b", "GET", "/api/encounters/{e}/note", 404),
    ("dr.b", "GET", "/api/encounters/{e}/suggestions", 404),
    ("dr.b", "GET", "/api/encounters/{e}/coding-runs", 404),
    ("dr.b", "GET", "/api/jobs/{job}", 404),
    ("dr.b", "POST", "/api/encounters/{e}/exports", 404),
    ("dr.b", "POST", "/api/suggestions/{s}/status", 404),
    ("dr.b", "POST", "/api/exports/{x}/reidentify", 404),
    ("dr.b", *AUDIO, 404),
    ("kim", *AUDIO, 403),
    ("kim", "GET", "/api/encounters/{e}", 200),
    ("kim", "GET", "/api/encounters/{e}/suggestions", 200),
    ("kim", "GET", "/api/encounters/{e}/coding-runs", 200),
    ("kim", "GET", "/api/encounters/{e}/transcript", 404),  # allowed; none made yet
    ("kim", "GET", "/api/suggestions", 200),
    ("kim", "GET", "/api/jobs/{job}", 200),
    ("kim", "POST", "/api/patients", 403),
    ("kim", "GET", "/admin/users", 403),
    ("cara", "GET", "/api/encounters/{e}", 403),
    ("cara", "GET", "/api/encounters/{e}/note", 403),
    ("cara", "GET", "/api/suggestions", 403),
    ("cara", *AUDIO, 403),
    ("cara", "GET", "/api/session", 200),
    ("ada", "GET", "/api/encounters/{e}", 200),
    ("ada", "GET", "/api/suggestions", 200),
    ("ada", "GET", "/admin/users", 200),
]


@pytest.mark.parametrize(("user", "method", "path", "status"), MATRIX)
def test_role_access_matrix(
    world: dict[str, Any], user: str, method: str, path: str, status: int
) -> None:
    client: TestClient = world["clients"][user]
    url = path.format(**world["ids"])
    body: dict[str, Any] = {}
    if url.endswith("/status"):
        body = {"json": {"status": "accepted"}}
    elif url.endswith("/reidentify"):
        body = {"json": {"text": "x"}}
    elif url.endswith("/recordings"):
        body = {"content": b"RIFF", "headers": {"Content-Type": "audio/wav"}}
    elif url.endswith("/patients"):
        body = {"json": {"birth_date": "1950-01-01", "sex": "F"}}
    response = client.request(method, url, **body)
    assert response.status_code == status, response.text


def test_refusals_are_audited_and_leave_no_trace_of_the_encounter(world: dict[str, Any]) -> None:
    app: FastAPI = world["app"]
    ids = world["ids"]
    coder, other = world["clients"]["kim"], world["clients"]["dr.b"]
    coder.post(f"/api/encounters/{ids['e']}/recordings", content=b"RIFF")
    answer = other.get(f"/api/encounters/{ids['e']}")
    assert answer.json() == {"detail": f"encounter {ids['e']} not found"}
    with app.state.engine.connect() as connection:
        denied = connection.execute(
            text("SELECT actor, encounter_id FROM audit_event WHERE action='access.denied'")
        ).all()
    assert sorted(denied) == [("user:dr.b", ids["e"]), ("user:kim", None)]


def test_admins_assign_encounters_and_clinicians_cannot(world: dict[str, Any]) -> None:
    admin, owner, other = (world["clients"][name] for name in ("ada", "dr.a", "dr.b"))
    data = {"patient_id": world["patient"], "date_of_service": "2026-11-21"}
    assigned = admin.post("/api/encounters", json=data, params={"assign_to": "dr.b"})
    assert assigned.status_code == 201
    assert other.get(f"/api/encounters/{assigned.json()['id']}").status_code == 200
    assert owner.get(f"/api/encounters/{assigned.json()['id']}").status_code == 404
    refused = owner.post("/api/encounters", json=data, params={"assign_to": "dr.b"})
    assert refused.status_code == 403
    to_coder = admin.post("/api/encounters", json=data, params={"assign_to": "kim"})
    assert to_coder.status_code == 422


def test_changes_are_attributed_to_the_signed_in_user(world: dict[str, Any]) -> None:
    app: FastAPI = world["app"]
    coder = world["clients"]["kim"]
    changed = coder.post(
        f"/api/suggestions/{world['ids']['s']}/status", json={"status": "accepted"}
    )
    assert changed.json()["status_by"] == "user:kim"
    with app.state.engine.connect() as connection:
        actors = set(connection.execute(text("SELECT actor FROM audit_event")).scalars())
    assert {"user:dr.a", "user:kim"} <= actors
    assert not any(actor.startswith("api:") for actor in actors)
