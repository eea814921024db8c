"""Browser tests: a real `scribe serve` (API + worker, real models, SQLite) and Debian's Chromium.

The service runs with live transcription on, so tablet captures are transcribed while recorded.

One service per test session processes the shipped sample visit once; each test gets a fresh
browser context at a tablet viewport (1024x768). Chromium is launched by path, never downloaded.
Screenshots of the main pages are written to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from review_ui import accounts
from review_ui.app import migrate
from review_ui.policy import CSRF_HEADER
from scribe.db import make_engine, transaction
from scribe.samples import sample_patient_path, sample_visit_path
from tests.live_service import free_port, service_up, wait_for

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "browser test password 1"
USERS = {
    "dr.rivera": ("clinician", "Dr. Ana Rivera"),
    "cody.coder": ("coder", "Cody Coder"),
    "carla.compliance": ("compliance", "Carla Compliance"),
    "ada.admin": ("admin", "Ada Admin"),
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1024, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class Service:
    """The running service and the processed sample encounter."""

    base_url: str
    database_url: str
    data_dir: Path
    encounter_id: str


def _create_users(database_url: str) -> None:
    with transaction(make_engine(database_url)) as session:
        for username, (role, name) in USERS.items():
            accounts.create_user(
                session=session,
                username=username,
                role=role,
                password=PASSWORD,
                display_name=name,
                actor="test:browser",
            )


@contextmanager
def api_client(base_url: str, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the JSON API (used to set up data, not to test pages)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        response = client.post("/api/session", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        client.headers[CSRF_HEADER] = response.json()["csrf_token"]
        yield client


def _process_sample(client: httpx.Client) -> str:
    context = json.loads(sample_patient_path().read_text("utf-8"))
    patient = client.post(
        "/api/patients",
        json={"birth_date": "1954-06-15", "sex": context["sex"], "external_id": "SAMPLE-001"},
    )
    patient.raise_for_status()
    encounter = client.post(
        "/api/encounters",
        json={
            "patient_id": patient.json()["id"],
            "date_of_service": "2026-11-20",
            "clinician": "Dr. Ana Rivera",
            "context": {
                k: context[k] for k in ("medications", "problems", "prior_year_dx", "labs")
            },
        },
    )
    encounter.raise_for_status()
    encounter_id = str(encounter.json()["id"])
    upload = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=sample_visit_path().read_bytes(),
        headers={"Content-Type": "audio/ogg", "Idempotency-Key": "browser-sample"},
        params={"filename": "visit.opus"},
    )
    upload.raise_for_status()
    wait_for(
        lambda: (
            client.get(f"/api/encounters/{encounter_id}").json()["status"] in ("coded", "failed")
        ),
        300,
        "the sample visit to be transcribed, drafted and coded",
    )
    assert client.get(f"/api/encounters/{encounter_id}").json()["status"] == "coded"
    return encounter_id


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`scribe serve` on a free port with its own SQLite database, the sample processed."""
    base = tmp_path_factory.mktemp("browser-service")
    database_url = f"sqlite:///{base / 'scribe.db'}"
    migrate(database_url)
    _create_users(database_url)
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SCRIBE_DATA_DIR": str(base / "data"),
            "SCRIBE_PORT": str(port),
            "SCRIBE_WORKER_POLL_SECONDS": "0.2",
            # Tablet captures are transcribed while recorded (the recording page shows it).
            "SCRIBE_LIVE_TRANSCRIPTION": "true",
            "HF_HUB_OFFLINE": "1",
        }
    )
    log = (base / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "review_ui.cli", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=10) as probe:
            wait_for(lambda: service_up(probe, server), 180, "the service to answer")
        with api_client(base_url, "dr.rivera") as client:
            encounter_id = _process_sample(client)
        yield Service(base_url, database_url, base / "data", encounter_id)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run scripts/install.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, service: Service) -> Iterator[Page]:
    """A fresh tablet-sized browser context (no cookies) with downloads allowed."""
    context = browser.new_context(
        viewport=VIEWPORT, base_url=service.base_url, accept_downloads=True
    )
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot of the current page under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
