"""FaithfulnessChecker: invented or altered facts are flagged, faithful sentences pass."""

from __future__ import annotations

import pytest

from scribe.contracts import Draft, Evidence, NoteSection, NoteSentence, Transcript
from scribe.drafting import FaithfulnessChecker
from scribe.drafting.faithfulness import NO_EVIDENCE
from tests.scribe.drafting.transcripts import make_transcript


@pytest.fixture(scope="module")
def transcript() -> Transcript:
    return make_transcript(
        ("patient", "My left knee has been hurting for two weeks."),  # 0
        ("clinician", "Any chest pain or shortness of breath?"),  # 1
        ("patient", "No."),  # 2
        ("patient", "I take lisinopril 20 mg every day and metformin 500 mg twice a day."),  # 3
        ("clinician", "Blood pressure is 130/80. Continue lisinopril 20 mg daily."),  # 4
        ("clinician", "You have osteoarthritis of the left knee."),  # 5
    )


def _check(
    checker: FaithfulnessChecker,
    transcript: Transcript,
    text: str,
    segments: tuple[int, ...] = (4,),
) -> NoteSentence:
    evidence = tuple(Evidence(segment_id=i, score=1.0, method="lexical") for i in segments)
    sentence = NoteSentence(id="s-1", text=text, evidence=evidence)
    draft = Draft(
        sections=(NoteSection(key="hpi", title="HPI", sentences=(sentence,)),), drafter="test"
    )
    [checked] = checker.check(draft, transcript).sentences()
    return checked


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("Continue lisinopril 20 mg daily.", (4,)),
        ("Blood pressure 130/80.", (4,)),
        ("Left knee pain for 2 weeks.", (0,)),
        ("Denies chest pain and shortness of breath.", (1, 2)),
        ("Metformin 500 mg twice daily.", (3,)),
        ("Osteoarthritis of the left knee.", (5,)),
    ],
)
def test_faithful_sentence_passes(
    checker: FaithfulnessChecker, transcript: Transcript, text: str, segments: tuple[int, ...]
) -> None:
    checked = _check(checker, transcript, text, segments)
    assert checked.status == "supported", checked.issues
    assert checked.issues == ()


@pytest.mark.parametrize(
    ("text", "segments", "issue"),
    [
        (
            "Start warfarin 5 mg daily.",
            (4,),
            "medication 'warfarin' not mentioned in the transcript",
        ),
        (
            "Start Coumadin for anticoagulation.",
            (4,),
            "medication 'warfarin' not mentioned in the transcript",
        ),
        (
            "Start cardiopril daily.",
            (4,),
            "possible medication 'cardiopril' not mentioned in the transcript",
        ),
        ("Continue lisinopril 40 mg daily.", (4,), "dose '40 mg' not in the transcript"),
        (
            "Continue lisinopril 500 mg daily.",
            (4,),
            "dose '500 mg' of lisinopril not stated in the transcript",
        ),
        ("Right knee pain for 2 weeks.", (0,), "laterality flipped: transcript says left knee"),
        (
            "The patient reports chest pain.",
            (1, 2),
            "negation flipped: transcript says no chest pain",
        ),
        ("Denies knee pain.", (0,), "negation flipped: transcript reports knee pain"),
        ("Blood pressure 150/95.", (4,), "number '150' not in the transcript"),
        (
            "History of atrial fibrillation.",
            (5,),
            "condition 'atrial fibrillation' not mentioned in the transcript",
        ),
        ("Knee pain for 2 weeks.", (), NO_EVIDENCE),
    ],
)
def test_unfaithful_sentence_is_flagged(
    checker: FaithfulnessChecker,
    transcript: Transcript,
    text: str,
    segments: tuple[int, ...],
    issue: str,
) -> None:
    checked = _check(checker, transcript, text, segments)
    assert checked.status == "unsupported"
    assert issue in checked.issues


def test_number_said_in_another_segment_is_supported(
    checker: FaithfulnessChecker, transcript: Transcript
) -> None:
    checked = _check(checker, transcript, "Knee pain for 2 weeks, blood pressure 130/80.", (0,))
    assert checked.status == "supported", checked.issues


def test_check_keeps_structure_and_evidence(
    checker: FaithfulnessChecker, transcript: Transcript
) -> None:
    evidence = (Evidence(segment_id=4, score=0.9, method="semantic", quote="x"),)
    draft = Draft(
        sections=(
            NoteSection(
                key="hpi",
                title="HPI",
                sentences=(
                    NoteSentence(
                        id="a", text="Continue lisinopril 20 mg daily.", evidence=evidence
                    ),
                    NoteSentence(id="b", text="Start warfarin.", evidence=evidence),
                ),
            ),
            NoteSection(key="ros", title="ROS"),
        ),
        drafter="test",
    )
    checked = checker.check(draft, transcript)
    assert [s.key for s in checked.sections] == ["hpi", "ros"]
    assert [s.status for s in checked.sentences()] == ["supported", "unsupported"]
    assert checked.sentences()[0].evidence == evidence
