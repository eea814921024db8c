"""`scribe audit ...`: verify the chain or an exported file, export events, show the public key."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from scribe.settings import Settings

SettingsFactory = Callable[[], Settings]


def _print(payload: dict[str, Any], as_json: bool, headline: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    lines = [headline, *(f"  {problem}" for problem in payload.get("problems", []))]
    sys.stdout.write("\n".join(lines) + "\n")


def cmd_verify(args: argparse.Namespace, settings: SettingsFactory, error: type[Exception]) -> int:
    """Verify the database chain, or an exported JSON Lines file / audit packet on its own."""
    if args.file:
        return _verify_file(Path(args.file), args, error)
    from scribe.audit import verify_database
    from scribe.db import make_engine, transaction

    with transaction(make_engine(settings().database_url)) as session:
        report = verify_database(session)
    payload = {
        "ok": report.ok,
        "checked": report.checked,
        "last_seq": report.last_seq,
        "problems": report.problems,
    }
    state = "OK" if report.ok else "BROKEN"
    _print(payload, args.json, f"audit chain {state}: {report.checked} events checked")
    return 0 if report.ok else 1


def _verify_file(path: Path, args: argparse.Namespace, error: type[Exception]) -> int:
    from scribe.audit_export import verify_export
    from scribe.audit_packet import is_packet, verify_packet

    try:
        if is_packet(path):
            check = verify_packet(path, trusted_public_key=args.public_key)
            kind = "audit packet"
        else:
            check = verify_export(path, trusted_public_key=args.public_key)
            kind = "audit export"
    except (OSError, ValueError) as failure:
        raise error(f"{path}: {failure}") from failure
    payload = {
        "ok": check.ok,
        "checked": check.checked,
        "signed": check.signed,
        "key_id": check.key_id,
        "key_pinned": bool(args.public_key),
        "problems": check.problems,
    }
    state = "OK" if check.ok else "FAILED"
    pin = "" if args.public_key else " (key not pinned: compare the key id with the service's)"
    _print(
        payload,
        args.json,
        f"{kind} {state}: {check.checked} events checked, signed by key {check.key_id}{pin}",
    )
    return 0 if check.ok else 1


def cmd_export(args: argparse.Namespace, settings: SettingsFactory, error: type[Exception]) -> int:
    """Export matching events to a file (JSON Lines signed, CSV or a FHIR AuditEvent Bundle)."""
    from scribe.audit import record_event
    from scribe.audit_export import export_chunks, write_chunks
    from scribe.audit_query import AuditFilter
    from scribe.audit_signing import ExportSigner
    from scribe.db import make_engine, transaction

    config = settings()
    wanted = AuditFilter(
        actor=args.actor,
        action=args.action,
        patient_id=args.patient,
        encounter_id=args.encounter,
        occurred_from=_when(args.since, error),
        occurred_to=_when(args.until, error),
    )
    signer = ExportSigner.for_settings(config)
    out = Path(args.out)
    engine = make_engine(config.database_url)
    with transaction(engine) as session:
        chunks = export_chunks(
            session, wanted, args.format, signer=signer, created_by="cli:audit-export"
        )
        write_chunks(chunks, out)
    with transaction(engine) as session:
        record_event(
            session,
            actor="cli:audit-export",
            action="audit.exported",
            details={"format": args.format, "filters": wanted.describe()},
        )
    sys.stdout.write(f"wrote {out} ({args.format})\n")
    return 0


def cmd_public_key(
    args: argparse.Namespace, settings: SettingsFactory, error: type[Exception]
) -> int:
    """Print the public key that verifies this service's exports (pin it when verifying)."""
    from scribe.audit_signing import ExportSigner, key_id

    signer = ExportSigner.for_settings(settings())
    payload = {"public_key": signer.public_key_b64, "key_id": key_id(signer.public_key_b64)}
    if args.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(f"{payload['public_key']}  (key id {payload['key_id']})\n")
    return 0


def _when(text: str | None, error: type[Exception]) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as failure:
        raise error(f"not an ISO date or time: {text!r}") from failure


def add_audit_parser(
    commands: Any,
    bind: Callable[[Callable[..., int]], Callable[[argparse.Namespace], int]],
) -> None:
    """Register `scribe audit verify|export|public-key`."""
    audit = commands.add_parser("audit", help="audit trail tools").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="verify the hash chain, an export or a packet")
    verify.add_argument("--file", help="an exported JSON Lines file or audit packet (.zip)")
    verify.add_argument("--public-key", help="the service's public key (base64) to pin")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=bind(cmd_verify))

    export = audit.add_parser("export", help="export audit events")
    export.add_argument("--out", required=True)
    export.add_argument("--format", choices=("jsonl", "csv", "fhir"), default="jsonl")
    export.add_argument("--actor")
    export.add_argument("--action")
    export.add_argument("--patient")
    export.add_argument("--encounter")
    export.add_argument("--since", help="ISO date/time, inclusive")
    export.add_argument("--until", help="ISO date/time, exclusive")
    export.set_defaults(handler=bind(cmd_export))

    public_key = audit.add_parser("public-key", help="the key that verifies exports")
    public_key.add_argument("--json", action="store_true")
    public_key.set_defaults(handler=bind(cmd_public_key))
