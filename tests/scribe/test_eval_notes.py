"""evaluate_notes on two tiny hand-written ACI-BENCH-style records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.contracts import Draft, NoteSection, NoteSentence, PatientContext, Transcript
from scribe.evaluation.notes import FactReader, dialogue_to_transcript, evaluate_notes

RECORDS = [
    {
        "encounter_id": "T1",
        "dialogue": "[doctor] any chest pain ?\n[patient] no .\n[patient_guest] he takes "
        "lisinopril 20 milligrams daily .\n[doctor] your blood pressure is 130/80 .\n"
        "continue the lisinopril for your hypertension .",
        "note": "CHIEF COMPLAINT\n\nHypertension.\n\nASSESSMENT AND PLAN\n\nHypertension. "
        "Continue lisinopril 20 mg daily. Blood pressure 130/80.",
    },
    {
        "encounter_id": "T2",
        "dialogue": "[doctor] how is your diabetes ?\n[patient] fine , i take metformin .",
        "note": "ASSESSMENT AND PLAN\n\nType 2 diabetes. Continue Glucophage 500 mg twice daily.",
    },
]


class EchoDrafter:
    """Writes a fixed note text per call (a fake for testing the evaluation logic only)."""

    name = "echo"

    def __init__(self, texts: list[str]) -> None:
        self._texts = iter(texts)

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        sentence = NoteSentence(id="a-1", text=next(self._texts), status="unsupported")
        section = NoteSection(
            key="assessment_plan", title="Assessment and plan", sentences=(sentence,)
        )
        return Draft(sections=(section,), drafter=self.name)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    return path


def test_dialogue_becomes_one_segment_per_turn() -> None:
    transcript = dialogue_to_transcript(RECORDS[0]["dialogue"])
    assert [s.speaker for s in transcript.segments] == [
        "clinician",
        "patient",
        "patient",
        "clinician",
    ]
    assert transcript.segments[2].text.startswith("he takes lisinopril")
    assert transcript.segments[3].text.endswith("for your hypertension .")  # continuation line
    assert [s.id for s in transcript.segments] == [0, 1, 2, 3]


def test_fact_reader_normalises_brands_and_numbers() -> None:
    facts = FactReader().facts("Continue Glucophage five hundred milligrams; BP 130/80. HTN.")
    assert facts["medications"] == {"metformin"}
    assert facts["conditions"] == {"hypertension"}
    assert {"500", "130", "80"} <= facts["numbers"]


def test_perfect_drafter_scores_full_marks(dataset: Path) -> None:
    result = evaluate_notes(dataset, EchoDrafter([r["note"] for r in RECORDS]))
    assert result["count"] == 2
    assert result["drafter"] == "echo"
    assert result["rouge"]["rouge1"] > 85  # the draft adds its own section heading
    for kind in ("medications", "conditions", "numbers"):
        assert result["facts"][kind]["recall"] == 1.0
        assert result["facts"][kind]["precision"] == 1.0
    assert result["unsupported_fraction"] == 1.0
    json.dumps(result)


def test_partial_drafter_and_limit(dataset: Path) -> None:
    result = evaluate_notes(dataset, EchoDrafter(["Continue lisinopril 40 mg."]), limit=1)
    assert result["count"] == 1
    meds = result["facts"]["medications"]
    assert (meds["recall"], meds["precision"]) == (1.0, 1.0)
    numbers = result["facts"]["numbers"]
    assert numbers["precision"] == 0.0  # 40 is not in the reference
    assert numbers["recall"] == 0.0
    assert 0 < result["rouge"]["rouge1"] < 100
