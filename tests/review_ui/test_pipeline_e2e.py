"""End to end on the real bundled models: upload -> worker -> transcript -> grounded note.

One test kills the worker with SIGKILL mid-job and shows the job completing exactly once after
a restart. No fakes: real Whisper tiny.en, real spaCy, real SQLite, real worker processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.audit import verify_database
from scribe.db import make_engine, transaction
from scribe.samples import sample_visit_path
from scribe.settings import Settings
from tests.review_ui.auth import client_as

pytestmark = pytest.mark.e2e


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SCRIBE_DATA_DIR": str(settings.data_dir),
            "SCRIBE_JOB_LEASE_SECONDS": "3",
            "SCRIBE_WORKER_POLL_SECONDS": "0.2",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "review_ui.cli", "worker"], env=_env(settings))


def _scalar(settings: Settings, sql: str) -> object:
    with make_engine(settings.database_url).connect() as connection:
        return connection.execute(text(sql)).scalar()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _upload_sample(client: TestClient) -> tuple[str, str]:
    patient = client.post("/api/patients", json={"birth_date": "1954-05-02", "sex": "F"}).json()
    encounter = client.post(
        "/api/encounters",
        json={
            "patient_id": patient["id"],
            "date_of_service": "2026-11-20",
            "context": {"medications": ["metformin", "apixaban", "lisinopril"]},
        },
    ).json()
    upload = client.post(
        f"/api/encounters/{encounter['id']}/recordings",
        content=sample_visit_path().read_bytes(),
        headers={"Content-Type": "audio/ogg", "Idempotency-Key": "e2e-1"},
        params={"filename": "visit.opus"},
    )
    assert upload.status_code == 201, upload.text
    return str(encounter["id"]), str(upload.json()["job_id"])


def test_worker_killed_mid_job_completes_exactly_once(settings: Settings) -> None:
    client = client_as(create_app(settings), "dr.e2e", "clinician")
    encounter_id, job_id = _upload_sample(client)
    first = _start_worker(settings)
    try:
        _wait(
            lambda: _scalar(settings, f"SELECT status FROM job WHERE id='{job_id}'") == "running",
            120,
            "the first worker to claim the job",
        )
        time.sleep(1.0)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _scalar(settings, "SELECT COUNT(*) FROM transcript") == 0
    second = _start_worker(settings)
    try:
        _wait(
            lambda: (
                client.get(f"/api/encounters/{encounter_id}").json()["status"]
                in ("coded", "failed")
            ),
            300,
            "the restarted worker to finish",
        )
    finally:
        second.terminate()
        second.wait(30)
    job = client.get(f"/api/jobs/{job_id}").json()
    assert (job["status"], job["attempts"]) == ("succeeded", 2), job
    assert _scalar(settings, "SELECT COUNT(*) FROM transcript") == 1
    assert _scalar(settings, "SELECT COUNT(*) FROM note_draft") == 1
    assert _scalar(settings, "SELECT COUNT(*) FROM job") == 3  # transcribe, draft, code
    assert _scalar(settings, "SELECT COUNT(*) FROM coding_run") == 1
    assert _scalar(settings, "SELECT COUNT(*) FROM job") == 3  # transcribe, draft, code
    assert _scalar(settings, "SELECT COUNT(*) FROM job WHERE status != 'succeeded'") == 0
    assert (
        _scalar(settings, "SELECT COUNT(*) FROM audit_event WHERE action='transcript.create'") == 1
    )
    _check_outputs(client, encounter_id)
    with transaction(make_engine(settings.database_url)) as session:
        report = verify_database(session)
    assert report.ok, report.problems


def _check_outputs(client: TestClient, encounter_id: str) -> None:
    transcript = client.get(f"/api/encounters/{encounter_id}/transcript").json()
    segments = transcript["segments"]
    assert len(segments) >= 5
    assert all(segment["words"] for segment in segments)
    assert {segment["speaker"] for segment in segments} == {"clinician", "patient"}
    note = client.get(f"/api/encounters/{encounter_id}/note").json()
    segment_ids = {segment["id"] for segment in segments}
    sentences = [s for section in note["sections"] for s in section["sentences"]]
    assert len(sentences) >= 5
    for sentence in sentences:
        assert sentence["evidence"], sentence["text"]
        assert {item["segment_id"] for item in sentence["evidence"]} <= segment_ids
    assert note["provenance"], "the note records what produced it"


def test_bad_recording_fails_once_with_a_reason(settings: Settings, tmp_path: Path) -> None:
    """A recording that passed upload but is gone on disk fails permanently, not forever."""
    client = client_as(create_app(settings), "dr.e2e", "clinician")
    encounter_id, job_id = _upload_sample(client)
    for stored in settings.recordings_dir.glob("*"):
        if stored.is_file():
            stored.write_bytes(b"garbage" * 100)
    worker = _start_worker(settings)
    try:
        _wait(
            lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "failed",
            120,
            "the job to fail",
        )
    finally:
        worker.terminate()
        worker.wait(30)
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["attempts"] == 1 and job["last_error"]
    assert client.get(f"/api/encounters/{encounter_id}").json()["status"] == "failed"
