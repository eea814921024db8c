"""Small hand-written visit transcripts for the drafting tests (synthetic, no PHI)."""

from __future__ import annotations

from scribe.contracts import Segment, Transcript


def make_transcript(*turns: tuple[str, str]) -> Transcript:
    """A transcript with one segment per (speaker, text) turn; segment ids count from 0."""
    return Transcript(
        segments=tuple(
            Segment(id=index, start=float(index), end=float(index + 1), text=text, speaker=speaker)
            for index, (speaker, text) in enumerate(turns)
        )
    )


def diabetes_visit() -> Transcript:
    """Follow-up for diabetes with neuropathy: denials, medications, vitals, a result, a plan."""
    return make_transcript(
        ("clinician", "Hi, good to see you. What brings you in today?"),  # 0
        ("patient", "I've had numbness in both feet for about two months."),  # 1
        ("clinician", "Any chest pain?"),  # 2
        ("patient", "No."),  # 3
        ("clinician", "Do you get short of breath?"),  # 4
        ("patient", "No, not really."),  # 5
        ("clinician", "What medicines are you taking right now?"),  # 6
        ("patient", "I take metformin 1000 mg twice a day and lisinopril 10 mg daily."),  # 7
        (
            "clinician",
            "Let me examine you. Your blood pressure is 138/82 and your heart rate "
            "is 76. On your foot exam, there is decreased sensation in both feet.",
        ),  # 8
        ("clinician", "Your A1c came back at 7.2."),  # 9
        (
            "clinician",
            "So for your first problem, your type 2 diabetes with neuropathy, I want "
            "to continue metformin 1000 mg twice a day and start gabapentin 300 mg "
            "at bedtime. I'll order a hemoglobin A1c. Follow up in three months.",
        ),  # 10
    )
