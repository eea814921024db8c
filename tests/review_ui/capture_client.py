"""Calls of the capture API that several tests make: an encounter, consent, a chunk."""

from __future__ import annotations

import hashlib

import httpx
from fastapi.testclient import TestClient

__all__ = ["new_encounter", "put_chunk", "record_consent", "start_capture"]


def new_encounter(client: TestClient) -> str:
    """A new patient and encounter; the encounter's id."""
    patient = client.post("/api/patients", json={"birth_date": "1952-03-14", "sex": "F"})
    encounter = client.post(
        "/api/encounters",
        json={"patient_id": patient.json()["id"], "date_of_service": "2026-11-20"},
    )
    assert encounter.status_code == 201, encounter.text
    return str(encounter.json()["id"])


def record_consent(client: TestClient, encounter_id: str) -> str:
    """Verbal consent of the patient to the current script; the consent's id."""
    script = client.get("/api/consent-script").json()
    response = client.post(
        f"/api/encounters/{encounter_id}/consents",
        json={
            "consented_by": "the patient",
            "method": "verbal",
            "script_version": script["version"],
        },
    )
    assert response.status_code == 201, response.text
    assert "consented_by" not in response.json()  # who consented is not echoed back
    return str(response.json()["id"])


def start_capture(
    client: TestClient, encounter_id: str, *, mime_type: str = "audio/webm;codecs=opus"
) -> str:
    """Consent, then a new capture of `mime_type` for the encounter; the capture's id."""
    consent_id = record_consent(client, encounter_id)
    started = client.post(
        f"/api/encounters/{encounter_id}/captures",
        json={"consent_id": consent_id, "mime_type": mime_type},
    )
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def put_chunk(
    client: TestClient, capture_id: str, seq: int, data: bytes, *, sha256: str = ""
) -> httpx.Response:
    """Send chunk `seq` as the recording page does (its sha256 unless another is given)."""
    response = client.put(
        f"/api/captures/{capture_id}/chunks/{seq}",
        content=data,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Chunk-SHA256": sha256 or hashlib.sha256(data).hexdigest(),
            "Idempotency-Key": f"{capture_id}:{seq}",
        },
    )
    assert response.status_code < 500, response.text
    return response
