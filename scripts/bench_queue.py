"""Benchmark: the coder queue with 100,000 suggestions (JSON API and the /queue page).

Usage: .venv/bin/python scripts/bench_queue.py [--suggestions N] [--requests R] [--workdir DIR]

Builds a migrated SQLite database with N suggestions (default 100,000) over N/10 encounters,
N/50 patients and 20 clinicians (rows inserted in bulk: this is a fixture, not the service's
write path), signs a coder in, then times R requests (default 50) of each scenario through
FastAPI's TestClient (in process, no network). Prints one JSON object: p50/p95/max in ms per
scenario, the sizes, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert

from coding.tables import SuggestionRecord
from review_ui import accounts
from review_ui.app import create_app
from review_ui.policy import CSRF_HEADER
from review_ui.tables import EncounterAssignment, UserAccount
from scribe.db import transaction
from scribe.settings import Settings
from scribe.tables import Encounter, Patient

PASSWORD = "benchmark password 1"
HCCS = [
    ("37", "Diabetes with Chronic Complications"),
    ("38", "Diabetes with Glycemic, Unspecified, or No Complications"),
    ("226", "Heart Failure, Except End-Stage and Acute"),
    ("238", "Specified Heart Arrhythmias"),
    ("280", "Chronic Obstructive Pulmonary Disease"),
    ("327", "Chronic Kidney Disease, Moderate (Stage 4)"),
    ("328", "Chronic Kidney Disease, Moderate (Stage 3B)"),
    ("155", "Major Depression, Moderate or Severe"),
    ("48", "Morbid Obesity"),
    ("264", "Vascular Disease with Complications"),
]
ICD = {"37": "E11.40", "38": "E11.9", "226": "I50.22", "238": "I48.91", "280": "J44.9"}
KINDS = ["supported"] * 8 + ["undocumented"] * 4 + ["specificity"] * 2 + ["recapture"] * 3
KINDS += ["unsupported"] * 3
STATUSES = ["open"] * 12 + ["accepted"] * 4 + ["rejected"] * 2 + ["deferred", "queried"]


def _insert(engine: Any, table: Any, rows: list[dict[str, Any]], batch: int = 5000) -> None:
    for first in range(0, len(rows), batch):
        with transaction(engine) as session:
            session.execute(insert(table), rows[first : first + batch])


def _people(engine: Any, clinicians: int) -> list[str]:
    with transaction(engine) as session:
        coder = accounts.create_user(
            session=session, username="coder", role="coder", password=PASSWORD, actor="bench"
        )
    names = [f"dr.{index:02d}" for index in range(clinicians)]
    _insert(
        engine,
        UserAccount,
        [
            {
                "id": f"u{index:04d}",
                "username": name,
                "display_name": f"Dr {index:02d}",
                "role": "clinician",
                "password_hash": coder.password_hash,
                "disabled": False,
                "created_at": datetime.now(UTC),
                "created_by": "bench",
            }
            for index, name in enumerate(names)
        ],
    )
    return names


def _suggestion(rng: random.Random, number: int, encounter_id: str, start: datetime) -> dict:
    kind = rng.choice(KINDS)
    hcc, label = rng.choice(HCCS)
    delta = None if kind == "unsupported" or rng.random() < 0.05 else round(rng.random(), 3)
    icd10 = ICD.get(hcc, "E66.01")
    payload = {
        "kind": kind,
        "icd10": icd10,
        "hcc_v28": [hcc],
        "hcc_v28_labels": [label],
        "evidence": [{"source": "note_sentence", "ref": "s3", "quote": "synthetic evidence text"}],
        "query_text": "The note mentions this condition without its status at this visit.",
    }
    return {
        "id": f"s{number:07d}",
        "encounter_id": encounter_id,
        "position": number % 10,
        "kind": kind,
        "family": "bench",
        "icd10": icd10,
        "description": f"description of {icd10}",
        "hcc_v28": hcc,
        "hcc_v24": hcc,
        "raf_delta_v28": delta,
        "raf_delta_v24": delta,
        "confidence": 0.9,
        "rules_version": "bench",
        "code_set_year": "FY2026",
        "payload": payload,
        "status": rng.choice(STATUSES),
        "created_at": start + timedelta(minutes=number * 5),
    }


def build(engine: Any, suggestions: int, clinicians: int = 20, seed: int = 5) -> dict[str, int]:
    """Fill the database: patients, encounters (each owned by a clinician), suggestions."""
    rng = random.Random(seed)
    names = _people(engine, clinicians)
    patients, encounters = max(1, suggestions // 50), max(1, suggestions // 10)
    now = datetime.now(UTC)
    _insert(
        engine,
        Patient,
        [
            {
                "id": f"p{index:06d}",
                "birth_date": date(1930 + index % 40, 1 + index % 12, 1 + index % 28),
                "sex": "FM"[index % 2],
                "dual_status": "none",
                "orec": "aged",
                "institutional": False,
                "created_at": now,
            }
            for index in range(patients)
        ],
    )
    encounter_rows, assignments = [], []
    for index in range(encounters):
        owner = names[index % clinicians]
        encounter_rows.append(
            {
                "id": f"e{index:06d}",
                "patient_id": f"p{rng.randrange(patients):06d}",
                "clinician": f"Dr {index % clinicians:02d}",
                "date_of_service": date(2026, 1, 1) + timedelta(days=rng.randrange(330)),
                "status": "signed",
                "context": {},
                "created_at": now,
            }
        )
        assignments.append(
            {"encounter_id": f"e{index:06d}", "clinician_username": owner, "assigned_at": now}
        )
    _insert(engine, Encounter, encounter_rows)
    _insert(engine, EncounterAssignment, assignments)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    _insert(
        engine,
        SuggestionRecord,
        [
            _suggestion(rng, number, f"e{number % encounters:06d}", start)
            for number in range(suggestions)
        ],
    )
    return {"suggestions": suggestions, "encounters": encounters, "patients": patients}


def _time(client: TestClient, url: str, requests: int) -> dict[str, float]:
    client.get(url)  # warm-up (first-use imports, template compile)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
        "max_ms": round(samples[-1], 1),
    }


def _scenarios(client: TestClient) -> dict[str, str]:
    deep = client.get("/api/suggestions", params={"offset": 49_950, "limit": 50}).json()
    cursor = deep["next_cursor"]
    return {
        "api_first_page": "/api/suggestions?limit=50",
        "api_deep_page_keyset_50k": f"/api/suggestions?limit=50&after={cursor}",
        "api_deep_page_offset_50k": "/api/suggestions?limit=50&offset=50000",
        "api_hcc_and_kind_by_raf": "/api/suggestions?limit=50&hcc=37&kind=undocumented",
        "api_clinician_and_dates": (
            "/api/suggestions?limit=50&clinician=dr.07&date_from=2026-03-01&date_to=2026-06-30"
        ),
        "api_oldest_first": "/api/suggestions?limit=50&sort=age",
        "page_queue_first": "/queue",
        "page_queue_filtered": "/queue?hcc=37&kind=undocumented&min_raf=0.2",
        "page_queue_deep_keyset": f"/queue?after={cursor}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suggestions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-queue-"))
    settings = Settings(DATABASE_URL=f"sqlite:///{workdir / 'queue.db'}", data_dir=workdir)
    app = create_app(settings)
    started = time.perf_counter()
    sizes = build(app.state.engine, args.suggestions)
    build_s = time.perf_counter() - started
    client = TestClient(app)
    body = client.post("/api/session", json={"username": "coder", "password": PASSWORD}).json()
    client.headers[CSRF_HEADER] = body["csrf_token"]
    client.headers["Accept"] = "text/html"
    results = {name: _time(client, url, args.requests) for name, url in _scenarios(client).items()}
    exports = max(5, args.requests // 10)  # whole-report exports: fewer, heavier requests
    for name, fmt in (("api_coding_gaps_csv", "csv"), ("api_coding_gaps_fhir", "fhir")):
        results[name] = {**_time(client, f"/api/coding-gaps?format={fmt}", exports), "n": exports}
    print(
        json.dumps(
            {
                "sizes": sizes,
                "build_seconds": round(build_s, 1),
                "requests_per_scenario": args.requests,
                "results": results,
                "machine": {
                    "platform": platform.platform(),
                    "python": sys.version.split()[0],
                    "cpus": os.cpu_count(),
                    "processor": platform.processor() or platform.machine(),
                },
                "database": "SQLite (WAL, synchronous=FULL), file in " + str(workdir),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
