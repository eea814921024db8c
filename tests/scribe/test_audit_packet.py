"""Audit packets verify on their own and reveal any edit, addition or removal."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scribe.audit import record_event
from scribe.audit_packet import verify_packet, write_packet
from scribe.audit_query import AuditFilter, iter_matching
from scribe.audit_signing import ExportSigner
from scribe.db import transaction


def _packet(engine: Engine, signer: ExportSigner, path: Path) -> None:
    with transaction(engine) as session:
        for action in ("note.signed", "submission.created"):
            record_event(session, actor="user:drlee", action=action, encounter_id="enc1")
        events = list(iter_matching(session, AuditFilter(encounter_id="enc1")))
    files = {
        "note.txt": b"Assessment: type 2 diabetes with neuropathy.\n",
        "audit_events.jsonl": "".join(json.dumps(e) + "\n" for e in events).encode(),
    }
    write_packet(path, files, signer=signer, created_by="user:comp", subject={"encounter": "enc1"})


def _rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in change.items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_packet_verifies_alone(engine: Engine, tmp_path: Path) -> None:
    signer = ExportSigner.from_file(tmp_path / "key.pem")
    path = tmp_path / "packet.zip"
    _packet(engine, signer, path)
    check = verify_packet(path, trusted_public_key=signer.public_key_b64)
    assert check.ok and check.signed and check.checked == 2


@pytest.mark.parametrize(
    "change",
    [
        {"note.txt": b"Assessment: type 2 diabetes.\n"},
        {"note.txt": None},
        {"extra.txt": b"added later"},
    ],
)
def test_any_change_is_detected(engine: Engine, tmp_path: Path, change: dict) -> None:
    signer = ExportSigner.from_file(tmp_path / "key.pem")
    path = tmp_path / "packet.zip"
    _packet(engine, signer, path)
    _rewrite(path, change)
    assert not verify_packet(path, trusted_public_key=signer.public_key_b64).ok


def test_a_rebuilt_manifest_fails_the_pinned_key(engine: Engine, tmp_path: Path) -> None:
    signer = ExportSigner.from_file(tmp_path / "key.pem")
    path = tmp_path / "packet.zip"
    _packet(engine, signer, path)
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist() if n != "manifest.json"}
    files["note.txt"] = b"rewritten"
    forger = ExportSigner.from_file(tmp_path / "forger.pem")
    write_packet(path, files, signer=forger, created_by="x", subject={})
    check = verify_packet(path, trusted_public_key=signer.public_key_b64)
    assert not check.ok and "not by the trusted key" in check.problems[0]
