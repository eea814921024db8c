"""The shipped sample visit through the configured drafter and coding engine (real models).

The issue's acceptance check: on the sample visit the engine produces `supported`,
`undocumented` and `specificity` suggestions, each with evidence a coder can read.
The reference transcript (the script's own turns and timing) stands in for the recognizer
output so the check does not depend on transcription errors.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from coding.contracts import Suggestion, SuggestionReport
from coding.patient_input import load_patient_context
from review_ui.composition import build_drafter, build_suggester, models_in_use
from scribe.contracts import Segment, Transcript
from scribe.samples import sample_patient_path, sample_segments_path
from scribe.settings import Settings

DATE_OF_SERVICE = date(2026, 11, 23)  # after FY2026: the default policy uses the newest set


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> SuggestionReport:
    base = tmp_path_factory.mktemp("sample")
    settings = Settings(DATABASE_URL=f"sqlite:///{base / 'unused.db'}", data_dir=base)
    used = models_in_use(settings)
    raw = json.loads(sample_segments_path().read_text(encoding="utf-8"))
    transcript = Transcript(segments=tuple(Segment(**item) for item in raw["segments"]))
    draft = build_drafter(settings, used).draft(transcript)
    patient = load_patient_context(json.loads(sample_patient_path().read_text(encoding="utf-8")))
    return build_suggester(settings, used).suggest(
        transcript=transcript, note=draft, patient=patient, date_of_service=DATE_OF_SERVICE
    )


def _one(report: SuggestionReport, kind: str) -> Suggestion:
    found = report.of_kind(kind)
    assert len(found) == 1, [(s.kind, s.icd10) for s in report.suggestions]
    return found[0]


def test_neuropathy_is_supported_by_the_note(report: SuggestionReport) -> None:
    supported = _one(report, "supported")
    assert supported.icd10 == "E11.40"
    assert supported.meat, "a supported code needs at least one MEAT element"
    assert any(item.source == "note_sentence" for item in supported.evidence)


def test_both_feet_asks_for_the_neuropathy_type(report: SuggestionReport) -> None:
    specificity = _one(report, "specificity")
    assert specificity.icd10 == "E11.42"
    assert any("both feet" in item.quote for item in specificity.evidence)
    assert specificity.query_text and "polyneuropathy" in specificity.query_text


def test_atrial_fibrillation_discussed_but_not_documented(report: SuggestionReport) -> None:
    undocumented = _one(report, "undocumented")
    assert undocumented.icd10 == "I48.91"
    assert undocumented.description
    sources = {item.source for item in undocumented.evidence}
    assert {"transcript_segment", "medication", "prior_year"} <= sources
    assert undocumented.raf_delta_v28 and undocumented.raf_delta_v28 > 0


def test_family_history_of_stroke_suggests_nothing(report: SuggestionReport) -> None:
    assert not [s for s in report.suggestions if s.icd10 and s.icd10.startswith("I63")]
    assert report.notices, "a date after the installed code set must carry its notice"
