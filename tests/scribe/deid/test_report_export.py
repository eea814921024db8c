"""The CLI JSON, reading input files, and the encounter export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.deid import DeidInputError, deid_report, export_encounter, read_input_file
from scribe.deid.engine import PresidioDeidentifier


def test_report_json(deidentifier: PresidioDeidentifier) -> None:
    text = "Dr. Okafor saw the patient on 3/14/2021."
    report = deid_report(deidentifier, text, operator="tag")
    json.dumps(report)
    assert report["text"] == "Dr. [NAME] saw the patient on [DATE]."
    first = report["spans"][0]
    assert set(first) == {"type", "start", "end", "score", "recognizer"}
    assert text[first["start"] : first["end"]] == "Okafor"
    assert report["counts"] == {"DATE": 1, "PERSON": 1}


def test_read_input_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DeidInputError, match="no such file"):
        read_input_file(tmp_path / "missing.txt", max_bytes=100)
    big = tmp_path / "big.txt"
    big.write_text("x" * 200)
    with pytest.raises(DeidInputError, match="limit"):
        read_input_file(big, max_bytes=100)


def test_export_encounter_is_consistent(deidentifier: PresidioDeidentifier) -> None:
    export = export_encounter(
        deidentifier,
        {
            "transcript": "[patient] My daughter Peggy Quennell drives me. Call 410-555-0142.",
            "note": "Daughter Peggy Quennell present. Phone 410-555-0142.",
            "empty": "",
        },
    )
    transcript, note, empty = (item.text for item in export.texts)
    assert "Quennell" not in transcript + note and "555-0142" not in transcript + note
    surrogate = next(e.surrogate for e in export.mapping if e.original == "Quennell")
    assert surrogate in transcript and surrogate in note
    assert empty == ""
    public = json.dumps(export.public_dict())
    assert "Quennell" not in public and "original" not in public
