"""Each suggestion kind, its evidence, MEAT, queries and RAF deltas, on the real engine."""

from __future__ import annotations

import pytest

from coding.contracts import Suggestion, SuggestionReport
from coding.documents import note_layout, transcript_layout
from coding.queries import is_neutral
from coding.rulebook import RuleSet
from coding.suggest import MedspacySuggester
from scribe.contracts import (
    Draft,
    Lab,
    NoteSection,
    NoteSentence,
    PatientContext,
    Segment,
    Transcript,
)
from tests.coding.conftest import DOS

NOTE = """HISTORY OF PRESENT ILLNESS:
74-year-old woman here for follow-up of diabetes and heart failure.
PAST MEDICAL HISTORY:
COPD, hypertension.
ASSESSMENT AND PLAN:
1. Type 2 diabetes: A1c 7.4, continue metformin.
2. Chronic systolic heart failure: euvolemic, continue carvedilol and furosemide.
3. CKD stage 4: eGFR 26, nephrology following.
4. Heart failure and kidney function discussed with daughter.
"""


def _one(report: SuggestionReport, kind: str, family: str) -> Suggestion:
    found = [s for s in report.suggestions if s.kind == kind and s.family == family]
    assert len(found) == 1, [(s.kind, s.family, s.icd10) for s in report.suggestions]
    return found[0]


@pytest.fixture(scope="module")
def full_report(engine: MedspacySuggester) -> SuggestionReport:
    transcript = Transcript(
        segments=(
            Segment(id=0, start=0, end=2, text="Any numbness in your feet?", speaker="clinician"),
            Segment(
                id=1, start=2, end=4, text="Yes, both feet feel numb at night.", speaker="patient"
            ),
            Segment(
                id=2,
                start=4,
                end=6,
                text="I still see the psychiatrist for my bipolar.",
                speaker="patient",
            ),
        )
    )
    patient = PatientContext(
        age=74,
        sex="F",
        medications=("apixaban 5 mg twice daily",),
        problems=("I48.91", "G20.A1"),
        prior_year_dx=("F33.1", "E11.9"),
    )
    return engine.suggest(
        transcript=transcript, note=NOTE, patient=patient, date_of_service=DOS, encounter_id="e1"
    )


def test_supported_codes_and_combinations(full_report: SuggestionReport) -> None:
    assert set(full_report.coded()) == {"E11.22", "I50.22", "N18.4"}
    diabetes = _one(full_report, "supported", "diabetes")
    assert diabetes.hcc_v28 == ("37",) and diabetes.hcc_v24 == ("18",)
    assert "Diabetes with Chronic Complications" in diabetes.hcc_v28_labels
    assert diabetes.rule_id == "combo.diabetes.ckd"
    assert diabetes.code_set_year == "FY2026" and diabetes.rules_version


def test_supported_has_meat_and_exact_evidence(full_report: SuggestionReport) -> None:
    hf = _one(full_report, "supported", "heart_failure")
    assert {m.kind for m in hf.meat} >= {"T"}
    assert hf.section == "assessment_plan" and hf.query_text is None
    layout = note_layout(NOTE)
    for item in [*hf.evidence, *(m.evidence for m in hf.meat)]:
        assert item.source == "note_sentence" and item.ref == "note"
        assert layout.text[item.start : item.end] == item.quote
    assert 0.6 < hf.confidence <= 0.95


def test_no_meat_mention_is_undocumented(full_report: SuggestionReport) -> None:
    copd = _one(full_report, "undocumented", "copd")
    assert copd.section == "past_medical_history"
    assert copd.icd10 == "J44.9" and "historical" in copd.context_flags
    assert "without its status" in (copd.query_text or "")


def test_specificity_from_transcript(full_report: SuggestionReport) -> None:
    assert _one(full_report, "supported", "diabetes").icd10 == "E11.22"
    # E11.22 is already a complication code, so no neuropathy prompt is raised for it
    assert not [s for s in full_report.suggestions if s.rule_id == "spec.diabetes.neuropathy"]


def test_transcript_undocumented(full_report: SuggestionReport) -> None:
    bipolar = _one(full_report, "undocumented", "bipolar")
    assert bipolar.icd10 == "F31.9" and bipolar.hcc_v28 == ("154",)
    evidence = bipolar.evidence[0]
    assert evidence.source == "transcript_segment" and evidence.ref == "2"
    assert "bipolar" in evidence.quote


def test_medication_prompt(full_report: SuggestionReport) -> None:
    afib = [s for s in full_report.suggestions if s.family == "afib"]
    assert len(afib) == 1 and afib[0].kind == "undocumented"
    sources = {e.source for e in afib[0].evidence}
    assert sources == {"medication", "problem_list"}


def test_recapture_and_unsupported(full_report: SuggestionReport) -> None:
    recapture = _one(full_report, "recapture", "depression")
    assert recapture.icd10 == "F33.1" and recapture.evidence[0].source == "prior_year"
    assert not [s for s in full_report.suggestions if s.kind == "recapture" and s.icd10 == "E11.9"]
    parkinson = _one(full_report, "unsupported", "parkinson")
    assert parkinson.icd10 == "G20.A1" and parkinson.raf_delta_v28 is not None
    assert parkinson.raf_delta_v28 < 0


def test_raf_before_after_and_deltas(full_report: SuggestionReport) -> None:
    assert full_report.raf_before_v28 is not None and full_report.raf_after_v28 is not None
    assert full_report.raf_after_v28 > full_report.raf_before_v28
    assert set(full_report.hccs_after_v28) == {"37", "226", "327"}
    for suggestion in full_report.of_kind("supported"):
        assert suggestion.raf_delta_v28 is not None and suggestion.raf_delta_v28 >= 0
    recapture = _one(full_report, "recapture", "depression")
    assert recapture.raf_delta_v28 and recapture.raf_delta_v28 > 0


def test_queries_are_neutral(full_report: SuggestionReport, rules: RuleSet) -> None:
    prompts = [s for s in full_report.suggestions if s.kind != "supported"]
    assert prompts
    for suggestion in prompts:
        assert suggestion.query_text and is_neutral(rules, suggestion.query_text)
        for value in (suggestion.raf_delta_v28, suggestion.raf_delta_v24):
            if value:
                assert f"{value:g}" not in suggestion.query_text


def test_specificity_neuropathy_from_transcript(engine: MedspacySuggester) -> None:
    transcript = Transcript(
        segments=(
            Segment(
                id=3, start=0, end=1, text="The numbness in both feet is worse.", speaker="patient"
            ),
        )
    )
    report = engine.suggest(
        transcript=transcript,
        note="Type 2 diabetes, A1c 7.1, continue metformin.",
        patient=PatientContext(age=70, sex="M"),
        date_of_service=DOS,
    )
    spec = _one(report, "specificity", "diabetes")
    assert spec.icd10 == "E11.40" and spec.rule_id == "spec.diabetes.neuropathy"
    assert spec.query_text == (
        'The transcript mentions "The numbness in both feet is worse."; the note documents type 2 '
        "diabetes mellitus. Please document the clinical status of any related complication, if "
        "clinically appropriate."
    )
    assert spec.raf_delta_v28 is not None and spec.raf_delta_v28 == 0.0


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("The burning in both feet keeps me up at night.", True),
        ("Numbness and tingling in both feet, worse at night.", True),
        ("The numbness is only in my right foot.", False),
    ],
)
def test_specificity_neuropathy_type_needs_bilateral_symptoms(
    engine: MedspacySuggester, said: str, asks: bool
) -> None:
    transcript = Transcript(segments=(Segment(id=0, start=0, end=1, text=said, speaker="patient"),))
    report = engine.suggest(
        transcript=transcript,
        note="Type 2 diabetes with diabetic neuropathy, continue gabapentin.",
        patient=PatientContext(age=70, sex="M"),
        date_of_service=DOS,
    )
    assert report.coded() == ["E11.40"]
    prompts = [s for s in report.suggestions if s.rule_id == "spec.diabetes.neuropathy_type"]
    assert bool(prompts) is asks, [(s.kind, s.icd10, s.rule_id) for s in report.suggestions]
    if asks:
        assert prompts[0].icd10 == "E11.42" and prompts[0].evidence[0].quote == said


def test_specificity_ckd_stage_from_egfr(engine: MedspacySuggester) -> None:
    patient = PatientContext(
        age=77,
        sex="F",
        labs=(
            Lab(name="eGFR", value=41, date="2025-08-01"),
            Lab(name="egfr", value=37, date="2026-02-20"),
        ),
    )
    report = engine.suggest(
        transcript=None,
        note="CKD, eGFR 37 today, avoid NSAIDs.",
        patient=patient,
        date_of_service=DOS,
    )
    assert report.coded() == ["N18.9"]
    spec = _one(report, "specificity", "ckd")
    assert spec.icd10 == "N18.32" and "37 (2026-02-20)" in (spec.query_text or "")
    assert spec.raf_delta_v28 and spec.raf_delta_v28 > 0


def test_specificity_heart_failure_type(engine: MedspacySuggester) -> None:
    report = engine.suggest(
        transcript=None,
        note="CHF stable on furosemide. Echo today shows EF 30%.",
        patient=None,
        date_of_service=DOS,
    )
    spec = _one(report, "specificity", "heart_failure")
    assert spec.icd10 is None and "I50.22" in spec.alternatives


def test_lab_rule_needs_two_values_90_days_apart(engine: MedspacySuggester) -> None:
    close = PatientContext(
        age=70,
        sex="M",
        labs=(
            Lab(name="eGFR", value=50, date="2026-01-01"),
            Lab(name="eGFR", value=48, date="2026-02-15"),
        ),
    )
    report = engine.suggest(
        transcript=None, note="Knee pain better.", patient=close, date_of_service=DOS
    )
    assert not [s for s in report.suggestions if s.family == "ckd"]


def test_draft_note_evidence_points_at_sentences(engine: MedspacySuggester) -> None:
    draft = Draft(
        drafter="test",
        sections=(
            NoteSection(
                key="assessment_plan",
                title="Assessment and plan",
                sentences=(
                    NoteSentence(id="s1", text="Atrial fibrillation, rate controlled."),
                    NoteSentence(id="s2", text="Continue apixaban 5 mg twice daily."),
                ),
            ),
        ),
    )
    report = engine.suggest(transcript=None, note=draft, patient=None, date_of_service=DOS)
    afib = _one(report, "supported", "afib")
    assert (
        afib.evidence[0].ref == "s1"
        and afib.evidence[0].quote == "Atrial fibrillation, rate controlled."
    )
    assert {m.evidence.ref for m in afib.meat} == {"s1", "s2"}
    layout = note_layout(draft)
    assert [u.ref for u in layout.units] == ["s1", "s2"]


def test_transcript_layout_offsets() -> None:
    transcript = Transcript(segments=(Segment(id=4, start=0, end=1, text="line one\nstill one"),))
    layout = transcript_layout(transcript)
    unit, start, end = layout.locate(9, 14)
    assert unit.ref == "4" and unit.text[start:end] == "still"
