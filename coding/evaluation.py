"""Evaluate the suggestion engine on a JSONL gold set (`scribe eval coding`).

Each line: {"id", "text", "gold_icd10": [...], "patient": {...}} plus optional keys (see
tests/data/golden/coding/README.md). Only `supported` suggestions (codes the note supports) are
counted for precision and recall; prompts are never codes. ICD-10-CM and CMS-HCC V28 (after
hierarchies) are scored micro-averaged. Trap records are reported separately: any code outside
their gold, and any suggestion of any kind whose evidence quotes the trap mention.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from coding import codes, hcc
from coding.contracts import EngineInput, SuggestionReport
from coding.errors import CodingInputError
from coding.inputs import parse_dialogue, read_engine_input
from coding.patient_input import load_patient_context
from coding.suggest import MedspacySuggester, default_suggester

DEFAULT_DATE = date(2026, 3, 15)
COUNTED = "supported suggestions only (codes the note supports); prompts are not counted"
PROMPT_TRAPS = {"lab_only", "medication_only"}
TRAP_RULE = (
    "a violation is a supported code outside a trap's gold, or any prompt quoting a negated/"
    "family/hypothetical/uncertain/history trap mention; prompts from lab-only and "
    "medication-only traps are by design and only counted"
)


class ExpectedPrompt(BaseModel):
    """A documentation prompt a record should raise."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    family: str


class GoldRecord(BaseModel):
    """One line of a coding gold set."""

    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    gold_icd10: list[str]
    patient: dict[str, Any] | None = None
    transcript: str | None = None
    date_of_service: date | None = None
    trap: bool = False
    trap_type: (
        Literal[
            "negation",
            "family",
            "hypothetical",
            "uncertain",
            "history",
            "lab_only",
            "medication_only",
        ]
        | None
    ) = None
    trap_mention: str | None = None
    expect_prompts: list[ExpectedPrompt] = []
    families: list[str] = []
    comment: str | None = None


def read_gold(path: Path) -> list[GoldRecord]:
    """Parse and validate a gold JSONL file."""
    records = []
    for number, line in enumerate(Path(path).read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(GoldRecord.model_validate_json(line))
        except ValidationError as exc:
            raise CodingInputError(f"{path}:{number}: {exc.errors()[0]['msg']}") from exc
    return records


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _hccs(dx: set[str], patient: dict[str, Any] | None) -> set[str]:
    if not dx:
        return set()
    age = (patient or {}).get("age", 70)
    sex = (patient or {}).get("sex", "F")
    return set(hcc.raf(age, sex, "none", sorted(dx), model="V28")["hcc_list"])


def _run(record: GoldRecord, engine: MedspacySuggester) -> SuggestionReport:
    engine_input = read_engine_input(record.text)
    if record.transcript:
        engine_input = EngineInput(
            note=engine_input.note, transcript=parse_dialogue(record.transcript)
        )
    when = record.date_of_service or DEFAULT_DATE
    patient = load_patient_context(record.patient, reference_date=when) if record.patient else None
    return engine.suggest(
        transcript=engine_input.transcript,
        note=engine_input.note,
        patient=patient,
        date_of_service=when,
        encounter_id=record.id,
    )


def _trap_hits(record: GoldRecord, report: SuggestionReport) -> list[dict[str, Any]]:
    mention = (record.trap_mention or "").lower()
    hits = []
    for suggestion in report.suggestions:
        quotes = [item.quote.lower() for item in suggestion.evidence]
        from_mention = bool(mention) and any(mention in quote for quote in quotes)
        coded_outside = suggestion.kind == "supported" and suggestion.icd10 not in set(
            codes.normalize(c) for c in record.gold_icd10
        )
        by_design = suggestion.kind != "supported" and record.trap_type in PROMPT_TRAPS
        if coded_outside or (from_mention and not by_design and suggestion.kind != "supported"):
            hits.append(
                {
                    "id": record.id,
                    "trap_type": record.trap_type,
                    "kind": suggestion.kind,
                    "icd10": suggestion.icd10,
                    "rule_id": suggestion.rule_id,
                }
            )
    return hits


@dataclass
class _Tally:
    """Running counts of one evaluation."""

    counts: Counter[str] = field(default_factory=Counter)
    trap_prompts: Counter[str] = field(default_factory=Counter)
    violations: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: GoldRecord, report: SuggestionReport) -> None:
        gold = {codes.normalize(c) for c in record.gold_icd10}
        predicted = set(report.coded())
        self._count("icd", gold, predicted)
        self._count("hcc", _hccs(gold, record.patient), _hccs(predicted, record.patient))
        if predicted != gold:
            missing, extra = sorted(gold - predicted), sorted(predicted - gold)
            self.mismatches.append({"id": record.id, "missing": missing, "extra": extra})
        if record.trap:
            self.violations += _trap_hits(record, report)
            self.trap_prompts.update(s.kind for s in report.suggestions if s.kind != "supported")
        kinds = {(s.kind, s.family) for s in report.suggestions}
        self.counts["prompts_expected"] += len(record.expect_prompts)
        self.counts["prompts_found"] += sum(
            (p.kind, p.family) in kinds for p in record.expect_prompts
        )

    def _count(self, prefix: str, gold: set[str], predicted: set[str]) -> None:
        self.counts[f"{prefix}_tp"] += len(gold & predicted)
        self.counts[f"{prefix}_fp"] += len(predicted - gold)
        self.counts[f"{prefix}_fn"] += len(gold - predicted)

    def scores(self, prefix: str) -> dict[str, float | int]:
        c = self.counts
        return _prf(c[f"{prefix}_tp"], c[f"{prefix}_fp"], c[f"{prefix}_fn"])

    def prompts(self) -> dict[str, float | int]:
        expected, found = self.counts["prompts_expected"], self.counts["prompts_found"]
        return {
            "expected": expected,
            "found": found,
            "recall": round(found / expected, 4) if expected else 1.0,
        }


def evaluate_coding(
    dataset_path: Path | str, *, suggester: MedspacySuggester | None = None
) -> dict[str, Any]:
    """Score the engine on a gold JSONL file; returns a JSON-ready dict."""
    engine = suggester or default_suggester()
    records = read_gold(Path(dataset_path))
    tally = _Tally()
    started = time.perf_counter()
    for record in records:
        tally.add(record, _run(record, engine))
    seconds = time.perf_counter() - started
    return {
        "dataset": str(dataset_path),
        "records": len(records),
        "trap_records": sum(r.trap for r in records),
        "counted": COUNTED,
        "icd10": tally.scores("icd"),
        "hcc_v28": tally.scores("hcc"),
        "traps": {
            "violations": len(tally.violations),
            "violation_details": tally.violations,
            "prompts_in_trap_records": dict(tally.trap_prompts),
            "rule": TRAP_RULE,
        },
        "expected_prompts": tally.prompts(),
        "mismatches": tally.mismatches,
        "seconds": round(seconds, 2),
        "records_per_second": round(len(records) / seconds, 1) if seconds else None,
    }
