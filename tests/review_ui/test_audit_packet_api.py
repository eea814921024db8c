"""Compliance downloads an encounter's audit packet; it verifies alone and reveals any edit."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from scribe.audit_packet import verify_packet
from tests.review_ui.auth import client_as
from tests.review_ui.test_signoff_api import _sign, app, clinician, encounter_id  # noqa: F401


def test_packet_of_a_signed_and_submitted_encounter(
    app: FastAPI,  # noqa: F811
    clinician: TestClient,  # noqa: F811
    encounter_id: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert _sign(clinician, encounter_id, 1).status_code == 201
    assert clinician.post(f"/api/encounters/{encounter_id}/submission").status_code == 201
    assert clinician.get(f"/api/audit/packets/{encounter_id}").status_code == 403

    compliance = client_as(app, "comp1", "compliance")
    key = compliance.get("/api/audit/public-key").json()["public_key"]
    response = compliance.get(f"/api/audit/packets/{encounter_id}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    path = tmp_path / "packet.zip"
    path.write_bytes(response.content)
    check = verify_packet(path, trusted_public_key=key)
    assert check.ok, check.problems

    with zipfile.ZipFile(path) as archive:
        signatures = json.loads(archive.read("signatures.json"))
        submissions = json.loads(archive.read("submissions.json"))
        events = [json.loads(x) for x in archive.read("audit_events.jsonl").splitlines()]
        names = archive.namelist()
    assert signatures[0]["signer"] == "user:dr.lee" and signatures[0]["content_matches"]
    codes = submissions[0]["codes"]
    assert sorted(c["icd10"] for c in codes) == ["E11.42", "J44.9"]
    assert all(c["accepted_by"] == "user:dr.lee" and c["evidence"] for c in codes)
    assert f"bundles/{submissions[0]['id']}.json" in names
    actions = [event["action"] for event in events]
    assert "note.sign" in actions and actions[-1] == "audit.packet_exported"

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["signatures.json"] = members["signatures.json"].replace(b"dr.lee", b"dr.who")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    tampered = verify_packet(path, trusted_public_key=key)
    assert not tampered.ok and "signatures.json" in tampered.problems[0]


def test_packet_of_an_unknown_encounter_is_404(app: FastAPI) -> None:  # noqa: F811
    compliance = client_as(app, "comp1", "compliance")
    assert compliance.get("/api/audit/packets/nope").status_code == 404
