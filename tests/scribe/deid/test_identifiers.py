"""Each identifier type, written and spoken, and the clinical traps (golden cases as data)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scribe.deid.engine import PresidioDeidentifier

CASES = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "data" / "deid" / "golden_cases.yaml").read_text()
)


def _covered(spans, start: int, end: int) -> bool:
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, end))


@pytest.mark.parametrize("case", CASES["phi"], ids=lambda case: case["text"][:40])
def test_identifier_detected(deidentifier: PresidioDeidentifier, case: dict) -> None:
    text = case["text"]
    spans = deidentifier.analyze(text)
    groups = {name: spec.group for name, spec in deidentifier.config.engine.entities.items()}
    for phi in case["phi"]:
        start = text.index(phi)
        end = start + len(phi)
        assert _covered(spans, start, end), f"{phi!r} not fully detected in {text!r}: {spans}"
        found = {groups[s.entity] for s in spans if s.start < end and start < s.end}
        assert case["group"] in found, f"{phi!r} detected as {found}, expected {case['group']}"


@pytest.mark.parametrize("case", CASES["keep"], ids=lambda case: case["text"][:40])
def test_clinical_trap_kept(deidentifier: PresidioDeidentifier, case: dict) -> None:
    text = case["text"]
    spans = deidentifier.analyze(text)
    for keep in case["keep"]:
        start = text.index(keep)
        end = start + len(keep)
        hits = [text[s.start : s.end] for s in spans if s.start < end and start < s.end]
        assert not hits, f"{keep!r} was flagged as PHI ({hits}) in {text!r}"
    assert deidentifier.deidentify(text).text == text


def test_trap_paragraph_unchanged_by_every_operator(deidentifier: PresidioDeidentifier) -> None:
    text = " ".join(case["text"] for case in CASES["keep"])
    for operator in ("tag", "redact", "surrogate"):
        assert deidentifier.deidentify(text, operator=operator).text == text


def test_spans_are_sorted_and_disjoint(deidentifier: PresidioDeidentifier) -> None:
    text = " ".join(case["text"] for case in CASES["phi"])
    spans = deidentifier.analyze(text)
    assert spans == sorted(spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_name_seen_once_with_context_is_found_everywhere(
    deidentifier: PresidioDeidentifier,
) -> None:
    text = "Dr. Quennell examined the patient. Later Quennell reviewed the films."
    spans = deidentifier.analyze(text)
    assert sum(text[s.start : s.end] == "Quennell" for s in spans) == 2
