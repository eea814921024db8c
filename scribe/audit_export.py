"""Audit trail exports (JSON Lines, CSV, FHIR AuditEvent Bundle) and their verification.

JSON Lines is the verifiable format: one event per line, then one trailer line holding a signed
manifest (what was selected, how many events, the sha256 of the event lines and the chain head
at export time). `verify_export` checks a file on its own: the signature, the digest, every
event's own hash, and for an unfiltered export the whole chain from its first event.
CSV and FHIR are for reading and for other systems; they carry the hashes but no signature.
Every exporter is a generator of text chunks, so a million events stream in constant memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from scribe.audit import HASHED_FIELDS, ChainReport, event_hash, verify_events
from scribe.audit_query import AuditFilter, iter_matching
from scribe.audit_signing import ExportSigner, check_manifest_signature
from scribe.tables import AuditHead, utcnow

EXPORT_FORMAT = "hcc-scribe-audit-export/1"
FORMATS = ("jsonl", "csv", "fhir")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "fhir": "application/fhir+json"}
MANIFEST_KEY = "export_manifest"
CSV_COLUMNS = (*HASHED_FIELDS, "hash")
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FHIR_ACTION_CODES = {"created": "C", "viewed": "R", "read": "R", "deleted": "D", "exported": "E"}


def jsonl_chunks(
    events: Iterable[dict[str, Any]], manifest: dict[str, Any], signer: ExportSigner
) -> Iterator[str]:
    """Event lines, then the signed manifest line (`manifest` gets count, seqs and digest)."""
    digest = hashlib.sha256()
    count, first_seq, last_seq = 0, None, None
    for event in events:
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        digest.update(line.encode("utf-8"))
        count += 1
        first_seq = event["seq"] if first_seq is None else first_seq
        last_seq = event["seq"]
        yield line
    completed = {
        "format": EXPORT_FORMAT,
        **manifest,
        "count": count,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "events_sha256": digest.hexdigest(),
    }
    yield json.dumps({MANIFEST_KEY: signer.sign_manifest(completed)}, ensure_ascii=False) + "\n"


def export_chunks(
    session: Session,
    wanted: AuditFilter,
    export_format: str,
    *,
    signer: ExportSigner,
    created_by: str,
    service_name: str = "hcc-scribe",
) -> Iterator[str]:
    """Stream the matching events in one of FORMATS, bounded by the chain head at the start."""
    if export_format not in FORMATS:
        raise ValueError(f"unknown export format {export_format!r}; use one of {FORMATS}")
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    events = iter_matching(session, wanted, through_seq=head.last_seq)
    if export_format == "csv":
        return csv_chunks(events)
    if export_format == "fhir":
        return fhir_chunks(events, service_name)
    manifest = {
        "created_at": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "created_by": created_by,
        "filters": wanted.describe(),
        "complete_chain": wanted.is_empty(),
        "chain_head": {"seq": head.last_seq, "hash": head.last_hash},
    }
    return jsonl_chunks(events, manifest, signer)


def _csv_cell(value: Any) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else value
    )
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header row, then one row per event (formula-looking cells prefixed with ')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow([_csv_cell(event.get(column)) for column in CSV_COLUMNS])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def fhir_audit_event(event: dict[str, Any], service_name: str) -> dict[str, Any]:
    """One event as a FHIR R4 AuditEvent resource (hashes kept as extensions)."""
    verb = str(event["action"]).rsplit(".", 1)[-1]
    entities = []
    if event.get("patient_id"):
        entities.append({"what": {"reference": f"Patient/{event['patient_id']}"}})
    if event.get("encounter_id"):
        entities.append({"what": {"reference": f"Encounter/{event['encounter_id']}"}})
    if event.get("subject"):
        entities.append({"what": {"identifier": {"value": str(event["subject"])}}})
    return {
        "resourceType": "AuditEvent",
        "id": f"audit-{event['seq']}",
        "type": {"system": "urn:hcc-scribe:audit-action", "code": event["action"]},
        "action": FHIR_ACTION_CODES.get(verb, "E"),
        "recorded": event["occurred_at"],
        "outcome": "0" if event.get("outcome") == "success" else "8",
        "agent": [{"who": {"display": event["actor"]}, "requestor": True}],
        "source": {"observer": {"display": service_name}},
        "entity": entities,
        "extension": [
            {"url": "urn:hcc-scribe:audit-seq", "valueInteger": event["seq"]},
            {"url": "urn:hcc-scribe:audit-hash", "valueString": event["hash"]},
            {"url": "urn:hcc-scribe:audit-prev-hash", "valueString": event["prev_hash"]},
            {
                "url": "urn:hcc-scribe:audit-details",
                "valueString": json.dumps(event.get("details") or {}, sort_keys=True),
            },
        ],
    }


def fhir_chunks(events: Iterable[dict[str, Any]], service_name: str) -> Iterator[str]:
    """A FHIR R4 Bundle (type collection) of AuditEvent resources, streamed."""
    yield '{"resourceType":"Bundle","type":"collection","entry":['
    separator = ""
    for event in events:
        resource = fhir_audit_event(event, service_name)
        yield separator + json.dumps({"resource": resource}, ensure_ascii=False)
        separator = ","
    yield "]}\n"


def write_chunks(chunks: Iterable[str], path: Path) -> None:
    """Write streamed chunks to a file."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


@dataclass
class ExportCheck:
    """Result of verifying an exported JSON Lines file on its own."""

    ok: bool = True
    checked: int = 0
    signed: bool = False
    key_id: str | None = None
    complete_chain: bool = False
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        """Record a problem (the first 50 are kept)."""
        self.ok = False
        if len(self.problems) < 50:
            self.problems.append(problem)


def verify_export(path: Path, *, trusted_public_key: str | None = None) -> ExportCheck:
    """Verify an exported JSON Lines file with no database (see the module docstring).

    The file is streamed: a million-event export is checked in constant memory.
    """
    manifest, events_end = _read_trailer(path)
    check = ExportCheck()
    if manifest is None:
        check.fail("no signed manifest: the file cannot be checked against the service's key")
    else:
        check.signed = True
        check.key_id = (manifest.get("signature") or {}).get("key_id")
        check.complete_chain = bool(manifest.get("complete_chain"))
        for problem in check_manifest_signature(manifest, trusted_public_key):
            check.fail(problem)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        events = _stream_events(handle, events_end, digest, check)
        if check.complete_chain:
            report = verify_events(events)
            head = (manifest or {}).get("chain_head") or {}
            if report.checked and head.get("hash") != report.last_hash:
                check.fail("the last event is not the chain head recorded at export time")
        elif manifest is None:
            report = _verify_from_first(events)
        else:
            report = _verify_each(events)
    for problem in report.problems:
        check.fail(problem)
    if manifest is not None:
        if digest.hexdigest() != manifest.get("events_sha256"):
            check.fail("the event lines do not match the manifest digest (lines edited or removed)")
        if manifest.get("count") != check.checked:
            check.fail(
                f"the manifest lists {manifest.get('count')} events, the file has {check.checked}"
            )
    return check


def _read_trailer(path: Path) -> tuple[dict[str, Any] | None, int]:
    """The signed manifest on the last line (or None) and where the event lines end."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("the export is empty")
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    body = tail.rstrip(b"\n")
    start = body.rfind(b"\n") + 1
    try:
        trailer = json.loads(body[start:])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, size
    if not isinstance(trailer, dict) or MANIFEST_KEY not in trailer:
        return None, size
    return trailer[MANIFEST_KEY], size - len(tail) + start


def _stream_events(
    handle: Any, end: int, digest: Any, check: ExportCheck
) -> Iterator[dict[str, Any]]:
    number = 0
    while handle.tell() < end:
        line = handle.readline()
        if not line:
            return
        number += 1
        digest.update(line)
        try:
            event = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            check.fail(f"line {number} is not JSON")
            continue
        if not isinstance(event, dict):
            check.fail(f"line {number} is not an event object")
            continue
        check.checked += 1
        yield event


def _verify_from_first(events: Iterator[dict[str, Any]]) -> ChainReport:
    first = next(events, None)
    if first is None:
        return ChainReport()
    start_seq = int(first.get("seq", 1)) - 1
    return verify_events(
        itertools.chain([first], events),
        start_hash=str(first.get("prev_hash")),
        start_seq=start_seq,
    )


def _verify_each(events: Iterator[dict[str, Any]]) -> ChainReport:
    report = ChainReport()
    previous = 0
    for event in events:
        report.checked += 1
        seq = event.get("seq")
        if not isinstance(seq, int) or seq <= previous:
            report.fail(f"event seq {seq}: out of order or repeated")
        previous = seq if isinstance(seq, int) else previous
        if event_hash(event) != event.get("hash"):
            report.fail(f"event seq {seq}: content does not match its hash (edited)")
    return report
