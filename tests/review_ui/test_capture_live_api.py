"""The capture API for the recording page: the live machine draft (audited only when it
discloses words) and the list of an encounter's captures (to resume after a page reload).

The LiveTranscript rows are test data for the read path (the worker's live step that writes
them is tested in tests/scribe/test_live_transcription.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.db import transaction
from scribe.settings import Settings
from scribe.tables import LiveTranscript
from tests.audio_samples import cut, webm_opus
from tests.review_ui.auth import add_user, client_as, sign_in
from tests.review_ui.capture_client import new_encounter, put_chunk, start_capture

WORDS = [(" Good", 0.0, 0.4), (" morning,", 0.4, 0.9), (" Mrs.", 1.0, 1.3), (" Lopez.", 1.3, 1.8)]


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> FastAPI:
    """The app with live transcription switched on."""
    settings = Settings(
        DATABASE_URL=database_url, data_dir=tmp_path / "data", live_transcription=True
    )
    app = create_app(settings)
    add_user(app, "dr.a", "clinician")
    return app


@pytest.fixture
def owner(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        sign_in(client, "dr.a")
        yield client


@pytest.fixture
def encounter_id(owner: TestClient) -> str:
    return new_encounter(owner)


def _commit_words(app: FastAPI, capture_id: str, count: int, until: float) -> None:
    with transaction(app.state.engine) as session:
        row = session.get(LiveTranscript, capture_id) or LiveTranscript(capture_id=capture_id)
        row.words = [
            {"text": t, "start": s, "end": e, "probability": 0.9} for t, s, e in WORDS[:count]
        ]
        row.committed_until, row.audio_seconds = until, until + 3.0
        session.add(row)


def _live_reads(app: FastAPI) -> list[tuple[str, str, str]]:
    with app.state.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT subject, encounter_id, details FROM audit_event"
                " WHERE action = 'live_transcript.read' ORDER BY seq"
            )
        ).all()
    return [(str(s), str(e), str(d)) for s, e, d in rows]


def test_live_words_are_sent_from_since_and_audited_only_when_disclosed(
    app: FastAPI, owner: TestClient, encounter_id: str
) -> None:
    capture_id = start_capture(owner, encounter_id)
    empty = owner.get(f"/api/captures/{capture_id}/live")
    assert empty.status_code == 200, empty.text
    assert empty.json() == {
        "capture_id": capture_id,
        "enabled": True,
        "status": "open",
        "committed_until": 0.0,
        "audio_seconds": 0.0,
        "words_total": 0,
        "since": 0,
        "words": [],
        "text": "",
    }
    assert _live_reads(app) == []

    _commit_words(app, capture_id, 2, until=1.0)
    first = owner.get(f"/api/captures/{capture_id}/live", params={"since": 0}).json()
    assert (first["words_total"], first["text"], first["committed_until"]) == (
        2,
        " Good morning,",
        1.0,
    )
    assert first["words"][1] == {"text": " morning,", "start": 0.4, "end": 0.9}
    idle = owner.get(f"/api/captures/{capture_id}/live", params={"since": 2}).json()
    assert (idle["words"], idle["text"], idle["words_total"]) == ([], "", 2)
    assert len(_live_reads(app)) == 1  # the idle poll disclosed nothing: no event

    _commit_words(app, capture_id, 4, until=2.0)
    more = owner.get(f"/api/captures/{capture_id}/live", params={"since": 2}).json()
    assert more["text"] == " Mrs. Lopez." and more["audio_seconds"] == 5.0
    reads = _live_reads(app)
    assert [(subject, encounter) for subject, encounter, _ in reads] == [
        (f"capture/{capture_id}", encounter_id)
    ] * 2
    assert '"since": 2' in reads[1][2] and '"words": 2' in reads[1][2]
    assert not any(word in details for *_, details in reads for word in ("Lopez", "morning"))


def test_a_bad_since_or_an_unknown_capture_is_refused(
    app: FastAPI, owner: TestClient, encounter_id: str
) -> None:
    capture_id = start_capture(owner, encounter_id)
    negative = owner.get(f"/api/captures/{capture_id}/live", params={"since": -1})
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["query", "since"]
    assert owner.get(f"/api/captures/{capture_id}/live?since=x").status_code == 422
    unknown = owner.get("/api/captures/nope/live")
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    assert _live_reads(app) == []


def test_live_transcription_off_is_reported(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"live_transcription": False}))
    add_user(app, "dr.a", "clinician")
    with TestClient(app) as client:
        sign_in(client, "dr.a")
        patient = client.post("/api/patients", json={"birth_date": "1952-03-14", "sex": "F"})
        encounter = client.post(
            "/api/encounters",
            json={"patient_id": patient.json()["id"], "date_of_service": "2026-11-20"},
        ).json()
        capture_id = start_capture(client, encounter["id"])
        answer = client.get(f"/api/captures/{capture_id}/live").json()
    assert answer["enabled"] is False and answer["words"] == []


def test_only_the_owner_and_admins_read_live_words_and_captures(
    app: FastAPI, owner: TestClient, encounter_id: str
) -> None:
    capture_id = start_capture(owner, encounter_id)
    _commit_words(app, capture_id, 4, until=2.0)
    other = client_as(app, "dr.b", "clinician")
    assert other.get(f"/api/captures/{capture_id}/live").status_code == 404
    assert other.get(f"/api/encounters/{encounter_id}/captures").status_code == 404
    coder = client_as(app, "cody", "coder")
    assert coder.get(f"/api/captures/{capture_id}/live").status_code == 403
    assert coder.get(f"/api/encounters/{encounter_id}/captures").status_code == 403
    assert _live_reads(app) == []  # refusals disclose nothing
    admin = client_as(app, "ada", "admin")
    assert admin.get(f"/api/captures/{capture_id}/live").json()["words_total"] == 4
    assert admin.get(f"/api/encounters/{encounter_id}/captures").status_code == 200
    assert admin.get("/api/encounters/nope/captures").status_code == 404
    with app.state.engine.connect() as connection:
        denied = connection.execute(
            text("SELECT actor FROM audit_event WHERE action = 'access.denied'")
        ).scalars()
        assert set(denied) == {"user:dr.b", "user:cody"}


def test_an_encounters_captures_are_listed_with_the_chunks_held(
    owner: TestClient, encounter_id: str
) -> None:
    assert owner.get(f"/api/encounters/{encounter_id}/captures").json() == []
    first = start_capture(owner, encounter_id)
    second = start_capture(owner, encounter_id)
    assert put_chunk(owner, first, 0, b"abc").status_code == 201
    assert put_chunk(owner, first, 2, b"def").status_code == 201
    listed = owner.get(f"/api/encounters/{encounter_id}/captures").json()
    assert [(c["id"], c["status"]) for c in listed] == [(first, "open"), (second, "open")]
    assert listed[0]["received"] == {
        "0": hashlib.sha256(b"abc").hexdigest(),
        "2": hashlib.sha256(b"def").hexdigest(),
    }
    assert (listed[0]["missing"], listed[0]["total_bytes"]) == ([1], 6)
    assert listed[1]["received"] == {}


def test_a_second_webm_stream_continues_the_same_capture(
    owner: TestClient, encounter_id: str
) -> None:
    """After a page reload the browser starts a new MediaRecorder stream (a new WebM file with
    its own header); appended to the first one's chunks it must decode as one recording."""
    capture_id = start_capture(owner, encounter_id)
    pieces = cut(webm_opus(2.0), 3) + cut(webm_opus(3.0), 4)
    for seq, piece in enumerate(pieces):
        assert put_chunk(owner, capture_id, seq, piece).status_code == 201
    done = owner.post(f"/api/captures/{capture_id}/finish", json={"last_seq": len(pieces) - 1})
    assert done.status_code == 201, done.text
    assert done.json()["duration_seconds"] == pytest.approx(5.0, abs=0.1)
