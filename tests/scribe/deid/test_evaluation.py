"""The evaluation function on a tiny hand-written dataset, and the spoken-set targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.deid import evaluate_deid
from scribe.deid.engine import PresidioDeidentifier
from scribe.deid.evaluation import GoldSpan, Record, score_records
from scribe.deid.spans import PhiSpan

GROUPS = {"PERSON": "name", "DATE": "date", "PHONE": "phone", "LOCATION": "location"}


def test_counting_rules() -> None:
    text = "Dr Lally saw pt on 3/4 in 1999 at GH; call 555-0142 now ok"
    records = [
        Record(
            text,
            (
                GoldSpan(3, 8, "HCPName"),  # found exactly
                GoldSpan(19, 22, "Date"),  # found by an overlapping span of another type
                GoldSpan(26, 30, "DateYear"),  # year only: excluded from "overall"
                GoldSpan(34, 36, "Location"),  # missed
            ),
        )
    ]
    predictions = [
        [
            PhiSpan(3, 8, "PERSON", 0.9, "t"),
            PhiSpan(20, 24, "PHONE", 0.9, "t"),
            PhiSpan(44, 52, "PHONE", 0.9, "t"),  # not in the gold: a false positive
        ]
    ]
    report = score_records(records, predictions, GROUPS)
    assert report["recall"]["overall"] == {"value": round(2 / 3, 4), "hits": 2, "total": 3}
    assert report["recall"]["overall_with_year"]["total"] == 4
    assert report["typed_recall"]["overall"]["hits"] == 1
    assert report["recall"]["Location"]["hits"] == 0
    assert report["precision"]["overall"] == {"value": round(2 / 3, 4), "hits": 2, "total": 3}
    assert report["precision"]["PHONE"]["hits"] == 1


def test_year_only_date_spans_count_as_years() -> None:
    text = "CABG '79 and MI 3/4/81"
    records = [Record(text, (GoldSpan(6, 8, "Date"), GoldSpan(16, 22, "Date")))]
    report = score_records(records, [[PhiSpan(16, 22, "DATE", 0.9, "t")]], GROUPS)
    assert report["recall"]["overall"]["total"] == 1
    assert report["recall_by_group"]["year"]["total"] == 1


def test_evaluate_deid_end_to_end(deidentifier: PresidioDeidentifier, tmp_path: Path) -> None:
    rows = [
        {
            "text": "Dr. Okafor called the son, Bill.",
            "phi": [
                {"start": 4, "end": 10, "type": "HCPName"},
                {"start": 27, "end": 31, "type": "RelativeProxyName"},
            ],
        },
        {"text": "Continue Lasix 40 mg daily.", "phi": []},
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    report = evaluate_deid(path, deidentifier=deidentifier)
    assert report["recall"]["overall"]["value"] == 1.0
    assert report["precision"]["overall"]["value"] == 1.0
    assert report["dataset"] == {"path": str(path), "documents": 2, "gold_spans": 2}


def test_malformed_dataset_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"phi": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        evaluate_deid(path, deidentifier=object())  # type: ignore[arg-type]


def test_spoken_transcript_targets(deidentifier: PresidioDeidentifier, data_dir: Path) -> None:
    report = evaluate_deid(data_dir / "spoken_transcripts.jsonl", deidentifier=deidentifier)
    assert report["dataset"]["documents"] >= 40
    assert report["recall"]["overall"]["value"] >= 0.97
    assert report["precision"]["overall"]["value"] >= 0.90
    for group in ("date", "phone", "id", "age", "contact"):
        assert report["recall_by_group"][group]["value"] >= 0.99, group
