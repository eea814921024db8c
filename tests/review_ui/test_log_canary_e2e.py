"""Canary PHI planted through the API of a real `scribe serve` never reaches any log.

The server runs as a subprocess (uvicorn, the service's own logging set-up, DEBUG level) and
starts its supervised worker subprocess, which processes the shipped sample visit end to end
(transcribe, draft, code) for a patient whose record carries the canaries. Then every log
stream of both processes (the server's stdout and stderr, which the worker inherits) and every
log file under the test's directory is searched for the canary values in the forms they were
planted in and the forms code could print them in.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from review_ui.app import create_app
from review_ui.policy import CSRF_HEADER
from scribe.samples import sample_visit_path
from scribe.settings import Settings
from tests.live_service import free_port, service_up, wait_for
from tests.review_ui.auth import PASSWORD, add_user

pytestmark = pytest.mark.e2e

NAME = "Zebulon Quackenbush"
PHONE = "617-555-0177"
MRN = "MRN88442211"
DOB = "1937-02-11"
CANARIES = (
    "Zebulon",
    "Quackenbush",
    "QUACKENBUSH",
    PHONE,
    "6175550177",
    "555-0177",
    MRN,
    "88442211",
    DOB,
    "02/11/1937",
    "2/11/1937",
    "19370211",
    "1937, 2, 11",
)


def _plant_canaries(client: httpx.Client) -> tuple[str, str]:
    """Sign in, make the patient and encounter, upload the visit; also some bad requests."""
    session = client.post("/api/session", json={"username": "dr.canary", "password": PASSWORD})
    assert session.status_code == 200, session.text
    client.headers[CSRF_HEADER] = session.json()["csrf_token"]
    patient = client.post("/api/patients", json={"birth_date": DOB, "sex": "M", "external_id": MRN})
    assert patient.status_code == 201, patient.text
    encounter = client.post(
        "/api/encounters",
        json={
            "patient_id": patient.json()["id"],
            "date_of_service": "2026-11-20",
            "clinician": f"Dr. {NAME}",
            "context": {
                "medications": ["metformin", "apixaban", f"{NAME} {PHONE}"],
                "problems": [f"patient {NAME} DOB {DOB} MRN {MRN}"],
            },
        },
    )
    assert encounter.status_code == 201, encounter.text
    encounter_id = str(encounter.json()["id"])
    upload = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=sample_visit_path().read_bytes(),
        headers={"Content-Type": "audio/ogg", "Idempotency-Key": f"{NAME} {PHONE}"},
        params={"filename": f"{NAME}_{PHONE}_{MRN}.opus"},
    )
    assert upload.status_code == 201, upload.text
    # Requests that fail: their paths, queries and bodies carry the canaries too.
    client.post("/api/patients", json={"birth_date": NAME, "sex": "M", "external_id": PHONE})
    client.get(f"/api/encounters/{NAME} {PHONE}", params={"mrn": MRN, "dob": DOB})
    client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=f"{NAME} {PHONE} {MRN} {DOB}".encode(),
        headers={"Content-Type": "audio/wav"},
        params={"filename": f"{NAME}.wav"},
    )
    return encounter_id, str(upload.json()["job_id"])


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def test_canaries_never_reach_server_or_worker_logs(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings)  # migrates the database the server will use
    add_user(app, "dr.canary", "clinician")
    app.state.engine.dispose()
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SCRIBE_DATA_DIR": str(settings.data_dir),
            "SCRIBE_LOG_LEVEL": "DEBUG",
            "SCRIBE_WORKER_POLL_SECONDS": "0.2",
            "HF_HUB_OFFLINE": "1",
        }
    )
    out_path, err_path = tmp_path / "serve.stdout.log", tmp_path / "serve.stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "review_ui.cli", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                wait_for(lambda: service_up(client, server), 120, "the server to answer")
                encounter_id, job_id = _plant_canaries(client)
                wait_for(
                    lambda: (
                        client.get(f"/api/encounters/{encounter_id}").json()["status"]
                        in ("coded", "failed")
                    ),
                    300,
                    "the worker to process the visit",
                )
                status = client.get(f"/api/encounters/{encounter_id}").json()["status"]
                job = client.get(f"/api/jobs/{job_id}").json()
        finally:
            _stop(server)
    assert (status, job["status"]) == ("coded", "succeeded"), job

    streams = {
        path.name: path.read_text("utf-8", errors="replace") for path in (out_path, err_path)
    }
    for path in tmp_path.rglob("*"):
        if path.is_file() and ".log" in path.name and path.name not in streams:
            streams[str(path)] = path.read_text("utf-8", errors="replace")
    logs = "\n".join(streams.values())
    # Both processes were heard: the server's request lines and the worker's job lines.
    assert "POST /api/patients -> 201" in logs
    worker_pids = set(re.findall(r" scribe\.worker \[(\d+)\] .*started", logs))
    assert worker_pids and str(server.pid) not in worker_pids, logs[-3000:]
    assert f"[{server.pid}]" in logs
    for name, text in streams.items():
        for canary in CANARIES:
            assert canary.lower() not in text.lower(), f"{canary!r} in {name}"
