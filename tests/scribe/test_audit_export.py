"""Audit search and exports: filters and paging, signed JSON Lines verified alone, CSV, FHIR."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scribe.audit import record_event
from scribe.audit_export import (
    csv_chunks,
    export_chunks,
    fhir_chunks,
    jsonl_chunks,
    verify_export,
    write_chunks,
)
from scribe.audit_query import AuditFilter, iter_matching, search_events
from scribe.audit_signing import ExportSigner
from scribe.db import transaction
from scribe.tables import utcnow


@pytest.fixture
def signer(tmp_path: Path) -> ExportSigner:
    return ExportSigner.from_file(tmp_path / "keys" / "audit.pem")


def _fill(engine: Engine) -> None:
    with transaction(engine) as session:
        for index in range(30):
            record_event(
                session,
                actor="user:alice" if index % 3 == 0 else "user:bob",
                action="note.viewed" if index % 2 == 0 else "suggestion.accepted",
                patient_id=f"pat{index % 5}",
                encounter_id=f"enc{index % 10}",
                details={"n": index},
            )


def _export(engine: Engine, wanted: AuditFilter, signer: ExportSigner, path: Path) -> None:
    with transaction(engine) as session:
        chunks = export_chunks(session, wanted, "jsonl", signer=signer, created_by="user:carol")
        write_chunks(chunks, path)


def test_filters_combine_and_pages_walk_newest_first(engine: Engine) -> None:
    _fill(engine)
    wanted = AuditFilter(actor="user:alice", action="note.viewed")
    with transaction(engine) as session:
        first = search_events(session, wanted, limit=2)
        second = search_events(session, wanted, limit=2, before_seq=first.next_before_seq)
        everything = list(iter_matching(session, wanted))
    assert first.total == 5 == len(everything)  # index % 6 == 0
    seqs = [e["seq"] for e in first.events + second.events]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4
    assert all(e["actor"] == "user:alice" and e["action"] == "note.viewed" for e in everything)


def test_time_window_is_half_open(engine: Engine) -> None:
    _fill(engine)
    now = utcnow()
    with transaction(engine) as session:
        assert search_events(session, AuditFilter(occurred_from=now + timedelta(1))).total == 0
        assert search_events(session, AuditFilter(occurred_to=now + timedelta(1))).total == 30


def test_signed_full_export_verifies_alone(engine: Engine, signer: ExportSigner, tmp_path: Path):
    _fill(engine)
    path = tmp_path / "audit.jsonl"
    _export(engine, AuditFilter(), signer, path)
    check = verify_export(path, trusted_public_key=signer.public_key_b64)
    assert check.ok and check.signed and check.complete_chain and check.checked == 30


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "manifest", "resign"])
def test_any_edit_to_an_export_is_detected(
    engine: Engine, signer: ExportSigner, tmp_path: Path, tamper: str
) -> None:
    _fill(engine)
    path = tmp_path / "audit.jsonl"
    _export(engine, AuditFilter(patient_id="pat1"), signer, path)
    lines = path.read_text().splitlines()
    if tamper == "edit":
        event = json.loads(lines[1])
        event["actor"] = "user:mallory"
        lines[1] = json.dumps(event, sort_keys=True)
    elif tamper == "delete":
        del lines[2]
    elif tamper == "reorder":
        lines[0], lines[1] = lines[1], lines[0]
    elif tamper == "manifest":
        trailer = json.loads(lines[-1])
        trailer["export_manifest"]["filters"] = {"patient_id": "pat2"}
        lines[-1] = json.dumps(trailer)
    else:  # rewrite an event, recompute everything and sign with another key
        event = json.loads(lines[1])
        event["actor"] = "user:mallory"
        lines[1] = json.dumps(event, sort_keys=True)
        other = ExportSigner.from_file(tmp_path / "other.pem")
        events = [json.loads(line) for line in lines[:-1]]
        manifest = json.loads(lines[-1])["export_manifest"]
        path.write_text("".join(jsonl_chunks(events, {"filters": manifest["filters"]}, other)))
        lines = path.read_text().splitlines()
    path.write_text("\n".join(lines) + "\n")
    check = verify_export(path, trusted_public_key=signer.public_key_b64)
    assert not check.ok, tamper
    assert check.problems


def test_unsigned_file_is_not_accepted(tmp_path: Path, engine: Engine) -> None:
    _fill(engine)
    path = tmp_path / "raw.jsonl"
    with transaction(engine) as session:
        path.write_text(
            "".join(json.dumps(e) + "\n" for e in iter_matching(session, AuditFilter()))
        )
    check = verify_export(path)
    assert not check.ok and "no signed manifest" in check.problems[0]


def test_csv_neutralises_formulas_and_fhir_is_a_bundle(engine: Engine) -> None:
    with transaction(engine) as session:
        record_event(session, actor='=HYPERLINK("x")', action="note.viewed", patient_id="p1")
        events = list(iter_matching(session, AuditFilter()))
    rows = list(csv.DictReader(io.StringIO("".join(csv_chunks(events)))))
    assert rows[0]["actor"].startswith("'=")
    bundle = json.loads("".join(fhir_chunks(events, "hcc-scribe")))
    resource = bundle["entry"][0]["resource"]
    assert bundle["resourceType"] == "Bundle" and resource["resourceType"] == "AuditEvent"
    assert resource["action"] == "R" and resource["entity"][0]["what"]["reference"] == "Patient/p1"
    assert {"recorded", "agent", "source", "type"} <= resource.keys()
