"""Canary PHI planted through the API never reaches the logs."""

from __future__ import annotations

import io
import logging

from fastapi.testclient import TestClient

from review_ui.app import create_app
from review_ui.logs import configure_logging
from scribe.settings import Settings
from tests.review_ui.auth import add_user, sign_in

CANARIES = ("Zebulon", "Quackenbush", "617-555-0177", "MRN88442211", "1937-02-11")


def test_canary_phi_never_reaches_the_logs(settings: Settings) -> None:
    root = logging.getLogger()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    root.addHandler(handler)
    try:
        configure_logging("DEBUG")
        app = create_app(settings)
        add_user(app, "dr.q", "clinician")
        with TestClient(app) as client:
            sign_in(client, "dr.q")
            patient = client.post(
                "/api/patients",
                json={"birth_date": "1937-02-11", "sex": "M", "external_id": "MRN88442211"},
            ).json()
            client.post("/api/patients", json={"birth_date": "Zebulon Quackenbush", "sex": "M"})
            encounter = client.post(
                "/api/encounters",
                json={
                    "patient_id": patient["id"],
                    "date_of_service": "2026-11-20",
                    "clinician": "Dr. Zebulon Quackenbush",
                },
            ).json()
            client.post(
                f"/api/encounters/{encounter['id']}/recordings",
                content=b"not audio",
                headers={"Content-Type": "audio/wav"},
                params={"filename": "Zebulon_Quackenbush_617-555-0177.wav"},
            )
            client.get("/api/encounters/Zebulon Quackenbush 617-555-0177")
        logging.getLogger("scribe.test").error(
            "failed for %s at %s", "Mr. Zebulon Quackenbush", "617-555-0177"
        )
    finally:
        root.removeHandler(handler)
    logs = captured.getvalue()
    assert "POST /api/patients -> 201" in logs  # the requests were logged
    for canary in CANARIES:
        assert canary not in logs, canary
