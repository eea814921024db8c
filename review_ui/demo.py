"""`scribe demo`: serve on the embedded default; push the shipped sample visit through the API."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from datetime import date

import httpx

from coding.contracts import Suggestion
from review_ui.render import render_note, render_suggestion_list, render_transcript
from scribe.contracts import Draft, NoteSection, Transcript
from scribe.settings import Settings

READY_TIMEOUT_SECONDS = 120.0
PROCESS_TIMEOUT_SECONDS = 600.0
DEMO_USERNAME = "demo.clinician"


def ensure_demo_user(
    database_url: str, *, username: str = DEMO_USERNAME, role: str = "clinician"
) -> tuple[str, str]:
    """Create (or re-enable) a demo account with a fresh random password; returns both.

    Goes through the account service functions, so the account change is audited.
    """
    from review_ui import accounts
    from review_ui.app import migrate
    from scribe.db import make_engine, transaction

    migrate(database_url)
    password = secrets.token_urlsafe(18)
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            if accounts.get_user(session, username) is None:
                accounts.create_user(
                    session=session,
                    username=username,
                    role=role,
                    password=password,
                    display_name="Demo Clinician",
                    actor="cli:demo",
                )
            else:
                accounts.set_password(
                    session=session,
                    username=username,
                    password=password,
                    actor="cli:demo",
                    enable=True,
                )
    finally:
        engine.dispose()
    return username, password


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    """Sign in through the JSON API; the client then sends the cookie and the CSRF token."""
    body = (
        client.post("/api/session", json={"username": username, "password": password})
        .raise_for_status()
        .json()
    )
    client.headers["X-CSRF-Token"] = body["csrf_token"]


def wait_for_health(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    """Wait until `server` answers its health check; RuntimeError if it exits or times out."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if client.get("/api/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready in time")


# Processing statuses in the order an encounter passes through them.
STATUS_ORDER = ("created", "queued", "transcribed", "drafted", "coded", "signed")


def _wait_for_status(client: httpx.Client, encounter_id: str, job_id: str, wanted: str) -> None:
    """Wait until the encounter has reached `wanted` (or passed it: the jobs may be quicker
    than the polling)."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status = client.get(f"/api/encounters/{encounter_id}").json()["status"]
        if status in STATUS_ORDER and STATUS_ORDER.index(status) >= STATUS_ORDER.index(wanted):
            return
        if status == "failed":
            job = client.get(f"/api/jobs/{job_id}").json()
            raise RuntimeError(f"processing failed: {job.get('last_error')}")
        time.sleep(1.0)
    raise RuntimeError("the note was not ready in time")


def process_sample(
    client: httpx.Client,
) -> tuple[Transcript, Draft, list[Suggestion], float]:
    """Create patient and encounter, upload the sample, wait for note and suggestions.

    Returns the transcript, the draft note, the suggestions and the seconds from upload
    acknowledged to draft note ready.
    """
    from scribe.samples import sample_patient_path, sample_visit_path

    context = json.loads(sample_patient_path().read_text("utf-8"))
    birth_year = date.today().year - int(context["age"])
    patient = (
        client.post(
            "/api/patients", json={"birth_date": f"{birth_year}-06-15", "sex": context["sex"]}
        )
        .raise_for_status()
        .json()
    )
    encounter = (
        client.post(
            "/api/encounters",
            json={
                "patient_id": patient["id"],
                "date_of_service": date.today().isoformat(),
                "clinician": "Demo Clinician",
                "context": {
                    key: context[key]
                    for key in ("medications", "problems", "prior_year_dx", "labs", "vitals")
                    if key in context
                },
            },
        )
        .raise_for_status()
        .json()
    )
    started = time.monotonic()
    upload = (
        client.post(
            f"/api/encounters/{encounter['id']}/recordings",
            params={"filename": "sample.opus"},
            content=sample_visit_path().read_bytes(),
            headers={"Content-Type": "audio/ogg", "Idempotency-Key": f"demo-{encounter['id']}"},
        )
        .raise_for_status()
        .json()
    )
    _wait_for_status(client, encounter["id"], upload["job_id"], "drafted")
    elapsed = time.monotonic() - started
    transcript = Transcript.model_validate(
        {
            k: v
            for k, v in client.get(f"/api/encounters/{encounter['id']}/transcript").json().items()
            if k not in ("id", "recording_id")
        }
    )
    note = client.get(f"/api/encounters/{encounter['id']}/note").json()
    draft = Draft(
        sections=tuple(NoteSection.model_validate(s) for s in note["sections"]),
        drafter=note["drafter"],
    )
    _wait_for_status(client, encounter["id"], upload["job_id"], "coded")
    rows = client.get(f"/api/encounters/{encounter['id']}/suggestions").json()
    suggestions = [Suggestion.model_validate(row["payload"]) for row in rows]
    return transcript, draft, suggestions, elapsed


def run_demo(settings: Settings, *, keep_serving: bool) -> int:
    """Start `scribe serve`, process the sample visit, print it, then keep serving (or stop)."""
    base_url = f"http://{settings.host}:{settings.port}"
    username, password = ensure_demo_user(settings.database_url)
    server = subprocess.Popen([sys.executable, "-m", "review_ui.cli", "serve"])
    try:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            wait_for_health(client, server)
            sign_in(client, username, password)
            transcript, draft, suggestions, elapsed = process_sample(client)
        sys.stdout.write(render_transcript(transcript) + "\n\n" + render_note(draft) + "\n\n")
        sys.stdout.write("\n".join(["HCC SUGGESTIONS", *render_suggestion_list(suggestions)]))
        sys.stdout.write(f"\nSample visit processed in {elapsed:.1f} s (upload to draft note).\n")
        if keep_serving:
            sys.stdout.write(
                f"Service running at {base_url} (API docs at {base_url}/docs); "
                "press Ctrl-C to stop.\n"
                f"Sign in at {base_url}/login as {username} with the password "
                f"{password} (a new one on every `scribe demo`)\n"
            )
            sys.stdout.flush()
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(60)
    return 0
