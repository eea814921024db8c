"""`scribe audit export | verify --file | public-key` on a real SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from review_ui import cli
from scribe.audit import record_event
from scribe.db import transaction
from scribe.settings import get_settings


@pytest.fixture
def configured(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path, engine: Engine
) -> Engine:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    with transaction(engine) as session:
        for index in range(5):
            record_event(session, actor="user:amy", action="note.viewed", patient_id=f"p{index}")
    yield engine
    get_settings.cache_clear()


def test_export_then_verify_with_the_pinned_key(
    configured: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.jsonl"
    assert cli.main(["audit", "export", "--out", str(out)]) == 0
    assert cli.main(["audit", "public-key", "--json"]) == 0
    key = json.loads(capsys.readouterr().out.split("\n", 1)[1])["public_key"]
    assert cli.main(["audit", "verify", "--file", str(out), "--public-key", key, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["checked"] == 5 and report["key_pinned"]

    lines = out.read_text().splitlines()
    lines[2] = lines[2].replace("user:amy", "user:eve")
    out.write_text("\n".join(lines) + "\n")
    assert cli.main(["audit", "verify", "--file", str(out), "--public-key", key]) == 1


def test_export_formats_and_bad_dates(configured: Engine, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    assert cli.main(["audit", "export", "--out", str(out), "--format", "csv"]) == 0
    assert out.read_text().count("note.viewed") == 5
    fhir = tmp_path / "audit.json"
    assert cli.main(["audit", "export", "--out", str(fhir), "--format", "fhir"]) == 0
    actions = [e["resource"]["type"]["code"] for e in json.loads(fhir.read_text())["entry"]]
    assert actions == ["note.viewed"] * 5 + ["audit.exported"]  # the CSV export was audited
    assert cli.main(["audit", "export", "--out", str(out), "--since", "yesterday"]) == 2


def test_verify_database_and_missing_file(configured: Engine, tmp_path: Path) -> None:
    assert cli.main(["audit", "verify"]) == 0
    assert cli.main(["audit", "verify", "--file", str(tmp_path / "nope.jsonl")]) == 2
