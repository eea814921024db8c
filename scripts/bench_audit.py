"""Benchmark: audit trail of N events (default 1,000,000): append, verify, export, verify the file.

Usage: .venv/bin/python scripts/bench_audit.py [--events N] [--workdir DIR]
Prints one JSON object with the timings (seconds) and sizes. Events are appended through
`record_event` (the service's own path) in transactions of 10,000.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

from review_ui.app import migrate
from scribe.audit import record_event, verify_database
from scribe.audit_export import export_chunks, verify_export, write_chunks
from scribe.audit_query import AuditFilter, search_events
from scribe.audit_signing import ExportSigner
from scribe.db import make_engine, transaction

ACTIONS = ("note.viewed", "suggestion.accepted", "note.signed", "transcript.viewed")


def _append(engine: object, total: int, batch: int = 10_000) -> float:
    started = time.perf_counter()
    for first in range(0, total, batch):
        with transaction(engine) as session:  # type: ignore[arg-type]
            for index in range(first, min(first + batch, total)):
                record_event(
                    session,
                    actor=f"user:u{index % 40}",
                    action=ACTIONS[index % len(ACTIONS)],
                    patient_id=f"pat{index % 5000}",
                    encounter_id=f"enc{index % 20000}",
                    details={"n": index},
                )
    return time.perf_counter() - started


def _timed(step: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = step()  # type: ignore[operator]
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'audit.db'}"
    migrate(url)
    engine = make_engine(url)
    signer = ExportSigner.from_file(workdir / "key.pem")
    results: dict[str, object] = {"events": args.events, "machine": platform.processor() or ""}
    results["append_s"] = round(_append(engine, args.events), 1)

    def verify_db() -> bool:
        with transaction(engine) as session:
            return verify_database(session).ok

    seconds, ok = _timed(verify_db)
    results["verify_database_s"], results["verify_database_ok"] = round(seconds, 1), ok
    for export_format in ("jsonl", "csv", "fhir"):
        path = workdir / f"audit.{export_format}"

        def export(fmt: str = export_format, out: Path = path) -> None:
            with transaction(engine) as session:
                chunks = export_chunks(
                    session, AuditFilter(), fmt, signer=signer, created_by="bench"
                )
                write_chunks(chunks, out)

        seconds, _ = _timed(export)
        results[f"export_{export_format}_s"] = round(seconds, 1)
        results[f"export_{export_format}_mib"] = round(path.stat().st_size / 2**20, 1)
    seconds, check = _timed(
        lambda: verify_export(workdir / "audit.jsonl", trusted_public_key=signer.public_key_b64)
    )
    results["verify_export_s"] = round(seconds, 1)
    results["verify_export_ok"] = check.ok  # type: ignore[attr-defined]

    def search() -> int:
        with transaction(engine) as session:
            return search_events(session, AuditFilter(patient_id="pat42"), limit=50).total

    seconds, total = _timed(search)
    results["search_patient_ms"], results["search_patient_total"] = round(seconds * 1000), total
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
