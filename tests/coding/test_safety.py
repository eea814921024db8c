"""Safety rules: nothing from negated, family, hypothetical, uncertain or questioned mentions;
history maps to history codes; labs and medications alone never become codes; suggestions
belong to one encounter."""

from __future__ import annotations

import pytest

from coding.suggest import MedspacySuggester
from scribe.contracts import Lab, PatientContext, Segment, Transcript
from tests.coding.conftest import DOS

NON_ASSERTED = [
    ("negated", "Assessment: no evidence of heart failure on echo; EF 60%. Continue current plan."),
    ("negated", "She denies diabetes. A1c 5.2 reviewed today."),
    (
        "negated",
        "Holter reviewed, no atrial fibrillation seen. Continue metoprolol for palpitations.",
    ),
    (
        "family",
        "Family history: mother with COPD and father with heart failure. Lungs clear on exam.",
    ),
    ("family", "Her sister has bipolar disorder, treated with lithium by psychiatry."),
    (
        "hypothetical",
        "If your blood sugar stays high we may need to treat diabetes with medication.",
    ),
    ("hypothetical", "Discussed the risk of stroke with untreated blood pressure; reviewed diet."),
    ("uncertain", "Dyspnea; rule out CHF. Echo and BNP ordered today, follow up in one week."),
    ("uncertain", "Possible early dementia; MoCA 24, neurology referral placed."),
    ("uncertain", "Suspected COPD, spirometry scheduled; albuterol as needed for now."),
]


@pytest.mark.parametrize(("flag", "note"), NON_ASSERTED)
def test_non_asserted_mentions_give_no_suggestion(
    engine: MedspacySuggester, flag: str, note: str
) -> None:
    report = engine.suggest(transcript=None, note=note, patient=None, date_of_service=DOS)
    families = {"heart_failure", "diabetes", "afib", "copd", "bipolar", "stroke", "dementia"}
    leaked = [s for s in report.suggestions if s.family in families]
    assert leaked == [], f"{flag} mention produced {[(s.kind, s.icd10) for s in leaked]}"


def test_question_in_transcript_is_not_evidence(engine: MedspacySuggester) -> None:
    transcript = Transcript(
        segments=(
            Segment(id=0, start=0, end=1, text="Have you ever had a stroke?", speaker="clinician"),
            Segment(id=1, start=1, end=2, text="No, never.", speaker="patient"),
        )
    )
    report = engine.suggest(transcript=transcript, note=None, patient=None, date_of_service=DOS)
    assert report.suggestions == ()


@pytest.mark.parametrize(
    ("note", "history_code", "active_code"),
    [
        (
            "History of stroke in 2019 without residual deficits; continues aspirin.",
            "Z86.73",
            "I63.9",
        ),
        (
            "History of breast cancer, completed treatment in 2014, no recurrence; "
            "mammogram normal.",
            "Z85.3",
            "C50.919",
        ),
        (
            "Remote history of DVT in 2015, completed anticoagulation, no recurrence.",
            "Z86.718",
            "I82.409",
        ),
    ],
)
def test_history_only_maps_to_history_codes(
    engine: MedspacySuggester, note: str, history_code: str, active_code: str
) -> None:
    report = engine.suggest(transcript=None, note=note, patient=None, date_of_service=DOS)
    assert history_code in report.coded()
    assert active_code not in report.coded()
    history = next(s for s in report.suggestions if s.icd10 == history_code)
    assert "historical" in history.context_flags


def test_labs_alone_never_supported(engine: MedspacySuggester) -> None:
    patient = PatientContext(
        age=74,
        sex="F",
        labs=(
            Lab(name="eGFR", value=48, date="2025-07-01"),
            Lab(name="eGFR", value=44, date="2026-02-01"),
            Lab(name="A1c", value=7.4, date="2026-02-01"),
        ),
    )
    report = engine.suggest(
        transcript=None,
        note="Knee pain, improving with physical therapy.",
        patient=patient,
        date_of_service=DOS,
    )
    assert report.of_kind("supported") == [] or all(
        s.family not in {"ckd", "diabetes"} for s in report.of_kind("supported")
    )
    prompts = {(s.kind, s.family) for s in report.suggestions}
    assert ("undocumented", "ckd") in prompts
    assert ("undocumented", "diabetes") in prompts
    ckd = next(s for s in report.suggestions if s.family == "ckd")
    assert ckd.icd10 == "N18.32"
    assert {e.source for e in ckd.evidence} == {"lab"}


def test_medications_alone_never_supported(engine: MedspacySuggester) -> None:
    patient = PatientContext(age=80, sex="M", medications=("apixaban 5 mg BID", "donepezil 10 mg"))
    note = "Refilled apixaban and insulin glargine. Patient doing well."
    report = engine.suggest(transcript=None, note=note, patient=patient, date_of_service=DOS)
    assert report.of_kind("supported") == []
    families = {s.family for s in report.of_kind("undocumented")}
    assert {"afib", "dementia", "diabetes"} <= families
    for suggestion in report.suggestions:
        assert suggestion.query_text and "medication" in suggestion.query_text


def test_transcript_alone_never_supported(engine: MedspacySuggester) -> None:
    transcript = Transcript(
        segments=(Segment(id=7, start=0, end=1, text="My COPD is worse, I use my inhaler a lot."),)
    )
    report = engine.suggest(transcript=transcript, note=None, patient=None, date_of_service=DOS)
    assert report.of_kind("supported") == []
    prompt = report.of_kind("undocumented")[0]
    assert prompt.family == "copd"
    assert prompt.evidence[0].source == "transcript_segment" and prompt.evidence[0].ref == "7"


def test_suggestions_belong_to_one_encounter(engine: MedspacySuggester) -> None:
    note = "COPD, stable on tiotropium, no exacerbations."
    first = engine.suggest(
        transcript=None, note=note, patient=None, date_of_service=DOS, encounter_id="enc-a"
    )
    other = engine.suggest(
        transcript=None,
        note="Hypertension controlled on amlodipine.",
        patient=None,
        date_of_service=DOS,
        encounter_id="enc-b",
    )
    again = engine.suggest(
        transcript=None, note=note, patient=None, date_of_service=DOS, encounter_id="enc-a"
    )
    assert first.encounter_id == "enc-a" and other.encounter_id == "enc-b"
    assert first.coded() == ["J44.9"] and other.coded() == ["I10"]
    assert first == again
    assert {s.id for s in first.suggestions}.isdisjoint({s.id for s in other.suggestions})


def test_history_listing_needs_its_own_assessment(engine: MedspacySuggester) -> None:
    note = (
        "Martha is a 70-year-old woman with a past medical history significant for congestive "
        "heart failure, depression and hypertension who presents for her annual exam. "
        "Exam is normal today. Labs reviewed."
    )
    report = engine.suggest(transcript=None, note=note, patient=None, date_of_service=DOS)
    assert report.coded() == []


def test_dated_event_is_history(engine: MedspacySuggester) -> None:
    note = (
        "He sustained a heart attack in 2018 and had a stent placed; "
        "no chest pain, continues aspirin."
    )
    report = engine.suggest(transcript=None, note=note, patient=None, date_of_service=DOS)
    assert "I21.9" not in report.coded() and "I25.2" in report.coded()
