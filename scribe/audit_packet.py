"""Audit packets: one signed zip archive holding everything about an encounter.

`write_packet` stores the given files plus `manifest.json`: each file's sha256, who built the
packet and when, and an Ed25519 signature over the manifest. `verify_packet` checks a packet with
nothing else: the signature, every file's digest (no file added, removed or changed), and each
audit event in `audit_events.jsonl` against its own hash.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from scribe.audit import event_hash
from scribe.audit_export import ExportCheck
from scribe.audit_signing import ExportSigner, check_manifest_signature
from scribe.tables import utcnow

PACKET_FORMAT = "hcc-scribe-audit-packet/1"
MANIFEST_NAME = "manifest.json"
EVENTS_NAME = "audit_events.jsonl"
MAX_MEMBER_BYTES = 256 * 1024 * 1024


def write_packet(
    path: Path,
    files: dict[str, bytes],
    *,
    signer: ExportSigner,
    created_by: str,
    subject: dict[str, Any],
) -> dict[str, Any]:
    """Write the packet (files plus the signed manifest); returns the manifest."""
    if MANIFEST_NAME in files:
        raise ValueError(f"{MANIFEST_NAME} is reserved for the packet's own manifest")
    manifest = signer.sign_manifest(
        {
            "format": PACKET_FORMAT,
            "created_at": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "created_by": created_by,
            "subject": subject,
            "files": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                for name, data in sorted(files.items())
            },
        }
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def is_packet(path: Path) -> bool:
    """True when the file is a zip archive (an audit packet rather than a JSON Lines export)."""
    return zipfile.is_zipfile(path)


def verify_packet(path: Path, *, trusted_public_key: str | None = None) -> ExportCheck:
    """Verify a packet on its own (see the module docstring)."""
    check = ExportCheck()
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"not a readable audit packet: {error}") from error
    with archive:
        names = set(archive.namelist())
        if MANIFEST_NAME not in names:
            check.fail("the packet has no manifest")
            return check
        manifest = json.loads(_read(archive, MANIFEST_NAME))
        check.signed = "signature" in manifest
        check.key_id = (manifest.get("signature") or {}).get("key_id")
        for problem in check_manifest_signature(manifest, trusted_public_key):
            check.fail(problem)
        listed = manifest.get("files") or {}
        for name in sorted(names - set(listed) - {MANIFEST_NAME}):
            check.fail(f"{name}: not listed in the manifest (added)")
        for name, entry in sorted(listed.items()):
            if name not in names:
                check.fail(f"{name}: listed in the manifest but missing (removed)")
                continue
            if hashlib.sha256(_read(archive, name)).hexdigest() != entry.get("sha256"):
                check.fail(f"{name}: content does not match the manifest (edited)")
        if EVENTS_NAME in names:
            _check_events(_read(archive, EVENTS_NAME), check)
    return check


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > MAX_MEMBER_BYTES:
        raise ValueError(f"{name} is larger than {MAX_MEMBER_BYTES} bytes")
    return archive.read(name)


def _check_events(data: bytes, check: ExportCheck) -> None:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        event = json.loads(line)
        check.checked += 1
        if event_hash(event) != event.get("hash"):
            check.fail(f"{EVENTS_NAME} line {number}: event does not match its hash (edited)")
