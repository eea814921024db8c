"""GroundedNoteDrafter on small hand-written visits, with the real spaCy/medspaCy pipeline."""

from __future__ import annotations

import re

import pytest

from scribe.contracts import SECTION_TITLES, Draft, NoteSentence
from scribe.drafting import GroundedNoteDrafter
from tests.scribe.drafting.transcripts import diabetes_visit, make_transcript


@pytest.fixture(scope="module")
def draft(grounded: GroundedNoteDrafter) -> Draft:
    return grounded.draft(diabetes_visit())


def _section(draft: Draft, key: str) -> list[NoteSentence]:
    return [s for section in draft.sections if section.key == key for s in section.sentences]


def _find(draft: Draft, pattern: str) -> list[NoteSentence]:
    return [s for s in draft.sentences() if re.search(pattern, s.text, re.IGNORECASE)]


def test_sections_follow_the_soap_order(draft: Draft) -> None:
    assert [section.key for section in draft.sections] == list(SECTION_TITLES)


def test_denied_chest_pain_is_never_a_positive_symptom(draft: Draft) -> None:
    ros = " ".join(s.text for s in _section(draft, "ros"))
    assert re.search(r"Denies[^.]*chest pain", ros)
    endorsed = " ".join(re.findall(r"Endorses ([^.]*)", ros))
    assert "chest pain" not in endorsed
    assert "shortness of breath" not in endorsed
    for sentence in draft.sentences():
        if "chest pain" in sentence.text.lower():
            assert sentence.text.lower().count("denies") == 1, sentence.text


def test_denial_points_at_question_and_answer(draft: Draft) -> None:
    [line] = [s for s in _section(draft, "ros") if "chest pain" in s.text]
    assert {2, 3} <= {e.segment_id for e in line.evidence}


def test_patient_symptom_is_reported(draft: Draft) -> None:
    ros = " ".join(s.text for s in _section(draft, "ros"))
    assert re.search(r"Endorses[^.]*numbness", ros)
    assert any("numbness" in s.text for s in _section(draft, "hpi"))


def test_medication_with_dose_links_to_its_segment(draft: Draft) -> None:
    [start] = _find(draft, r"^Start gabapentin 300 mg at bedtime\.$")
    assert [e.segment_id for e in start.evidence] == [10]
    [current] = _find(draft, r"^Current medications include")
    assert "metformin 1000 mg twice daily" in current.text
    assert "lisinopril 10 mg daily" in current.text
    assert {e.segment_id for e in current.evidence} == {7}
    [cont] = _find(draft, r"^Continue metformin 1000 mg twice daily\.$")
    assert cont in _section(draft, "assessment_plan")


def test_vitals_result_and_plan_items(draft: Draft) -> None:
    exam = [s.text for s in _section(draft, "exam")]
    assert "Blood pressure 138/82." in exam
    assert "Heart rate 76." in exam
    assert any("7.2" in s.text for s in _section(draft, "results"))
    plan = [s.text for s in _section(draft, "assessment_plan")]
    assert "Type 2 diabetes." in plan
    assert "Follow up in 3 months." in plan
    assert any(text.startswith("Order hemoglobin a1c") for text in plan)


def test_every_sentence_quotes_its_segment_and_is_supported(draft: Draft) -> None:
    segments = {segment.id: segment.text for segment in diabetes_visit().segments}
    assert len(draft.sentences()) >= 10
    for sentence in draft.sentences():
        assert sentence.evidence, sentence.text
        for evidence in sentence.evidence:
            assert evidence.method == "extraction"
            assert evidence.quote and evidence.quote in segments[evidence.segment_id]
        assert sentence.status == "supported", (sentence.text, sentence.issues)


def test_provenance_records_model_and_rules(draft: Draft, grounded: GroundedNoteDrafter) -> None:
    [provenance] = draft.provenance
    assert provenance.model_sha256 == grounded.nlp.sha256
    assert "grounded=" in (provenance.rules_version or "")


def test_negated_patient_statement_and_family_history(grounded: GroundedNoteDrafter) -> None:
    transcript = make_transcript(
        ("clinician", "How have you been feeling?"),
        ("patient", "I have no chest pain, but I have had a cough for a week."),
        ("patient", "My mother had a stroke last year."),
    )
    draft = grounded.draft(transcript)
    ros = " ".join(s.text for s in _section(draft, "ros"))
    assert re.search(r"Endorses cough", ros)
    assert re.search(r"Denies chest pain", ros)
    assert not any(
        "stroke" in s.text.lower() and "history of" in s.text.lower() for s in draft.sentences()
    )


def test_empty_transcript_gives_empty_sections(grounded: GroundedNoteDrafter) -> None:
    draft = grounded.draft(make_transcript())
    assert draft.sentences() == []
    assert len(draft.sections) == len(SECTION_TITLES)


def test_more_vitals_referral_and_follow_up(grounded: GroundedNoteDrafter) -> None:
    transcript = make_transcript(
        (
            "clinician",
            "Your weight is 182 pounds and your temperature is 98.6. Your oxygen "
            "saturation is 97%. Any palpitations?",
        ),
        ("patient", "Yes, sometimes at night."),
        ("clinician", "I'm going to refer you to cardiology. Let's follow up in two weeks."),
    )
    draft = grounded.draft(transcript)
    texts = [s.text for s in draft.sentences()]
    for expected in (
        "Weight 182 pounds.",
        "Temperature 98.6.",
        "Oxygen saturation 97%.",
        "Referral to cardiology.",
        "Follow up in 2 weeks.",
    ):
        assert expected in texts
    ros = " ".join(s.text for s in _section(draft, "ros"))
    assert "Endorses palpitations" in ros  # a "yes" to a one-symptom question
    assert all(s.status == "supported" for s in draft.sentences())
