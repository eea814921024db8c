"""The visit API: creating patients and encounters, uploading recordings, bad input."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.settings import Settings
from tests.review_ui.auth import add_user, sign_in


def _wav_bytes(seconds: float = 1.0) -> bytes:
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(16000 * seconds)) / 16000) * 32767
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(tone.astype("<i2").tobytes())
    return buffer.getvalue()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    add_user(app, "dr.a", "clinician")
    with TestClient(app) as test_client:
        sign_in(test_client, "dr.a")
        yield test_client


@pytest.fixture
def encounter_id(client: TestClient) -> str:
    patient = client.post("/api/patients", json={"birth_date": "1952-03-14", "sex": "F"})
    assert patient.status_code == 201, patient.text
    encounter = client.post(
        "/api/encounters",
        json={
            "patient_id": patient.json()["id"],
            "date_of_service": "2026-11-20",
            "context": {"medications": ["apixaban 5 mg twice daily"], "problems": ["I48.91"]},
        },
    )
    assert encounter.status_code == 201, encounter.text
    return str(encounter.json()["id"])


def _upload(
    client: TestClient,
    encounter_id: str,
    body: bytes,
    *,
    key: str | None = None,
    content_type: str = "audio/wav",
    filename: str = "visit.wav",
) -> object:
    headers = {"Content-Type": content_type}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=body,
        headers=headers,
        params={"filename": filename},
    )


def _count(settings: Settings, table: str) -> int:
    from scribe.db import make_engine

    with make_engine(settings.database_url).connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_upload_creates_recording_and_job_after_commit(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    response = _upload(client, encounter_id, _wav_bytes(), key="visit-1")
    assert response.status_code == 201, response.text
    body = response.json()
    job = client.get(f"/api/jobs/{body['job_id']}").json()
    assert (job["kind"], job["status"], job["attempts"]) == ("transcribe", "queued", 0)
    assert client.get(f"/api/encounters/{encounter_id}").json()["status"] == "queued"
    assert len(list(settings.recordings_dir.glob("*.wav"))) == 1
    assert abs(body["duration_seconds"] - 1.0) < 0.05


def test_replayed_key_returns_the_same_job_and_stores_nothing_new(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    first = _upload(client, encounter_id, _wav_bytes(), key="same").json()
    again = _upload(client, encounter_id, _wav_bytes(), key="same")
    assert again.status_code == 200
    assert again.json()["job_id"] == first["job_id"] and again.json()["replayed"] is True
    assert _count(settings, "recording") == 1 and _count(settings, "job") == 1
    different = _upload(client, encounter_id, _wav_bytes(2.0), key="same")
    assert different.status_code == 409


@pytest.mark.parametrize(
    ("body", "content_type", "filename", "status", "reason"),
    [
        (b"", "audio/wav", "a.wav", 422, "empty"),
        (b"hello, this is not audio at all\n" * 50, "audio/wav", "notes.wav", 415, ""),
        (b"{}", "application/json", "a.json", 415, "not audio"),
        (_wav_bytes()[:60], "audio/wav", "cut.wav", 422, ""),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(
    client: TestClient,
    encounter_id: str,
    settings: Settings,
    body: bytes,
    content_type: str,
    filename: str,
    status: int,
    reason: str,
) -> None:
    response = _upload(client, encounter_id, body, content_type=content_type, filename=filename)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    assert _count(settings, "recording") == 0 and _count(settings, "job") == 0
    leftovers = [p for p in settings.recordings_dir.rglob("*") if p.is_file()]
    assert leftovers == []


def test_upload_over_the_byte_cap_is_refused_while_streaming(
    settings: Settings, encounter_id: str, tmp_path: Path
) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 4096})
    with TestClient(create_app(small)) as client:
        sign_in(client, "dr.a")

        def chunks() -> Iterator[bytes]:
            for _ in range(100):
                yield b"\0" * 1024

        response = client.post(
            f"/api/encounters/{encounter_id}/recordings",
            content=chunks(),
            headers={"Content-Type": "audio/wav"},
        )
    assert response.status_code == 413
    assert _count(settings, "recording") == 0


def test_upload_over_the_duration_cap_is_refused(settings: Settings, encounter_id: str) -> None:
    short = settings.model_copy(update={"max_audio_seconds": 0.5})
    with TestClient(create_app(short)) as client:
        sign_in(client, "dr.a")
        response = _upload(client, encounter_id, _wav_bytes(2.0))
    assert response.status_code == 413
    assert _count(settings, "recording") == 0


def test_unknown_encounter_and_missing_outputs_are_404(
    client: TestClient, encounter_id: str
) -> None:
    assert _upload(client, "nope", _wav_bytes()).status_code == 404
    assert client.get(f"/api/encounters/{encounter_id}/transcript").status_code == 404
    assert client.get(f"/api/encounters/{encounter_id}/note").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"birth_date": "2990-01-01", "sex": "F"},
        {"birth_date": "1950-01-01", "sex": "X"},
        {"birth_date": "1950-01-01", "sex": "F", "ssn": "123"},
        {"birth_date": "not a date", "sex": "F"},
    ],
)
def test_invalid_patients_are_422_without_echoing_values(
    client: TestClient, payload: dict[str, str]
) -> None:
    response = client.post("/api/patients", json=payload)
    assert response.status_code == 422
    if "ssn" in payload:
        assert "123" not in response.text


def test_every_phi_read_and_change_is_audited(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    before = _count(settings, "audit_event")
    client.get(f"/api/encounters/{encounter_id}")
    _upload(client, encounter_id, _wav_bytes())
    assert _count(settings, "audit_event") == before + 2
