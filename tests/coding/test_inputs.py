"""`scribe suggest FILE` input detection and bad input to the engine."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from coding.errors import CodingInputError
from coding.inputs import load_input_file, read_engine_input
from coding.suggest import MedspacySuggester, suggest
from scribe.contracts import Draft, PatientContext, Transcript
from tests.coding.conftest import DOS

TRANSCRIPT = {
    "segments": [
        {"id": 0, "start": 0.0, "end": 2.0, "text": "How is the COPD?", "speaker": "clinician"},
        {
            "id": 1,
            "start": 2.0,
            "end": 4.0,
            "text": "Better since the Spiriva.",
            "speaker": "patient",
        },
    ]
}
DRAFT = {
    "drafter": "rules",
    "sections": [
        {
            "key": "assessment_plan",
            "title": "Assessment and plan",
            "sentences": [{"id": "s1", "text": "COPD stable on tiotropium."}],
        }
    ],
}


def test_transcript_json() -> None:
    result = read_engine_input(json.dumps(TRANSCRIPT))
    assert isinstance(result.transcript, Transcript) and result.note is None
    assert result.transcript.segments[1].speaker == "patient"


def test_draft_json() -> None:
    result = read_engine_input(json.dumps(DRAFT))
    assert isinstance(result.note, Draft) and result.transcript is None


def test_visit_json_with_text_and_dialogue() -> None:
    visit = {"note": "COPD stable.", "transcript": "[doctor] Breathing?\n[patient] Better."}
    result = read_engine_input(json.dumps(visit))
    assert result.note == "COPD stable."
    assert result.transcript is not None and len(result.transcript.segments) == 2


def test_dialogue_text_is_a_transcript() -> None:
    text = "Doctor: How are the sugars?\nPatient: Fine, around 130.\nI check every morning.\n"
    result = read_engine_input(text)
    assert result.transcript is not None and result.note is None
    assert [s.speaker for s in result.transcript.segments] == ["clinician", "patient"]
    assert result.transcript.segments[1].text.endswith("I check every morning.")


def test_plain_text_is_a_note(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("ASSESSMENT:\nCOPD, stable.\n[see plan]\n", "utf-8")
    assert load_input_file(path).note == path.read_text("utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ('{"segments": [', "does not parse"),
        ('{"foo": 1}', "neither a Transcript"),
        ('{"note": "x", "extra": 1}', "unknown keys"),
        ('{"segments": [{"id": "a"}]}', "does not match"),
        ("x" * 100_001, "limit is 100,000"),
    ],
)
def test_bad_files(text: str, message: str) -> None:
    with pytest.raises(CodingInputError, match=message):
        read_engine_input(text)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.dat"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CodingInputError, match="not UTF-8"):
        load_input_file(path)
    with pytest.raises(CodingInputError, match="cannot read"):
        load_input_file(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"note": "", "transcript": None}, "both empty"),
        ({"note": "   ", "transcript": None}, "both empty"),
        ({"note": "COPD " * 25_000, "transcript": None}, "limit is 100,000"),
        (
            {"note": "COPD stable.", "transcript": None, "date_of_service": date(2024, 5, 1)},
            "FY2026",
        ),
        (
            {"note": "COPD stable.", "transcript": None, "date_of_service": date(2026, 10, 1)},
            "outside",
        ),
        (
            {
                "note": "COPD stable.",
                "transcript": None,
                "patient": PatientContext(age=70, sex="M", prior_year_dx=("J44",)),
            },
            r"patient.prior_year_dx\[0\]",
        ),
    ],
)
def test_engine_rejects_bad_input(engine: MedspacySuggester, kwargs: dict, message: str) -> None:
    call = {"patient": None, "date_of_service": DOS, **kwargs}
    with pytest.raises(CodingInputError, match=message):
        engine.suggest(**call)


def test_suggest_function_accepts_all_sources(engine: MedspacySuggester) -> None:
    transcript = Transcript.model_validate(TRANSCRIPT)
    by_text = suggest("COPD stable on tiotropium.", date_of_service="2026-03-15", suggester=engine)
    by_draft = suggest(Draft.model_validate(DRAFT), date_of_service=DOS, suggester=engine)
    by_transcript = suggest(transcript, date_of_service=DOS, suggester=engine)
    assert by_text.coded() == by_draft.coded() == ["J44.9"]
    assert by_transcript.coded() == [] and by_transcript.of_kind("undocumented")
    with pytest.raises(CodingInputError, match="ISO date"):
        suggest("COPD", date_of_service="15/03/2026", suggester=engine)
    with pytest.raises(CodingInputError, match="cannot suggest"):
        suggest(42, date_of_service=DOS, suggester=engine)  # type: ignore[arg-type]
