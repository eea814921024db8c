"""Vocabulary, hotwords, segmentation, speaker roles and the Whisper adapter."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from scribe.audio import SAMPLE_RATE
from scribe.contracts import Segment
from scribe.transcription.segmentation import TimedWord, split_words
from scribe.transcription.speakers import (
    SpeakerCuesError,
    assign_roles,
    label_segments,
    load_speaker_cues,
    parse_speaker_cues,
)
from scribe.transcription.vocabulary import (
    VocabularyError,
    build_hotwords,
    load_vocabulary,
    parse_vocabulary,
    patient_terms,
)
from scribe.transcription.voice import segment_pitches, two_voice_split
from scribe.transcription.whisper import NO_SPEECH_NOTICE, FasterWhisperTranscriber

# --- vocabulary and hotwords -------------------------------------------------------------------


def test_shipped_vocabulary_loads_with_version_and_core_terms() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.version
    for term in ("metformin", "apixaban", "hemoglobin A1c", "eGFR", "atrial fibrillation"):
        assert term in vocabulary.terms
    assert vocabulary.term_for_code("I48.91") == "atrial fibrillation"
    assert vocabulary.term_for_code("E11.42") == "diabetic neuropathy"
    assert vocabulary.term_for_code("E11.9") == "type 2 diabetes"
    assert vocabulary.term_for_code("Z00.00") is None


@pytest.mark.parametrize(
    "document",
    [
        {"version": "1", "terms": ["metformin"], "colour": "blue"},
        {"version": "1", "terms": ["metformin", " "]},
        {"version": "1", "terms": ["metformin", "Metformin"]},
        {"version": "1", "terms": []},
        {"version": "", "terms": ["metformin"]},
        {"version": "1", "terms": ["metformin"], "icd10_terms": {"diabetes": "diabetes"}},
    ],
)
def test_invalid_vocabulary_is_rejected(document: dict[str, Any]) -> None:
    with pytest.raises(VocabularyError):
        parse_vocabulary(json.dumps(document))


def test_patient_terms_strip_doses_and_turn_codes_into_words() -> None:
    vocabulary = parse_vocabulary(
        json.dumps(
            {"version": "t", "terms": ["insulin"], "icd10_terms": {"I48": "atrial fibrillation"}}
        )
    )
    terms = patient_terms(
        vocabulary,
        medications=["metformin 1000 mg twice daily", "insulin glargine 20 units at bedtime"],
        problems=["I48.91", "Z99.99", "chronic low back pain", "i48.0"],
    )
    assert terms == (
        "metformin",
        "insulin glargine",
        "atrial fibrillation",
        "chronic low back pain",
    )


def test_hotwords_put_patient_terms_first_and_respect_the_cap() -> None:
    vocabulary = parse_vocabulary(
        json.dumps({"version": "t", "terms": ["lisinopril", "apixaban", "tiotropium", "donepezil"]})
    )
    hotwords = build_hotwords(vocabulary, ("gabapentin", "Apixaban"), max_chars=40)
    assert hotwords.startswith("gabapentin, Apixaban")
    assert len(hotwords) <= 40
    assert hotwords.lower().count("apixaban") == 1
    assert build_hotwords(vocabulary, (), max_chars=0) == ""


# --- segmentation ------------------------------------------------------------------------------


def _words(*items: tuple[str, float, float]) -> list[TimedWord]:
    return [TimedWord(text, start, end, 0.9) for text, start, end in items]


def test_words_split_at_pauses_and_sentence_ends() -> None:
    words = _words(
        (" Any", 0.0, 0.2),
        (" chest", 0.25, 0.5),
        (" pain?", 0.5, 0.8),
        (" No", 0.95, 1.1),  # sentence end then a short gap: split
        (" chest", 1.15, 1.4),
        (" pain,", 1.4, 1.7),
        (" thanks", 2.2, 2.5),  # long pause without punctuation: split
    )
    groups = split_words(words)
    assert ["".join(w.text for w in g).strip() for g in groups] == [
        "Any chest pain?",
        "No chest pain,",
        "thanks",
    ]


def test_long_run_without_pauses_is_capped() -> None:
    words = _words(*[(f" w{i}", i * 0.5, i * 0.5 + 0.45) for i in range(40)])
    groups = split_words(words, max_seconds=5.0)
    assert len(groups) > 3
    assert all(g[-1].end - g[0].start <= 5.0 for g in groups)


# --- speaker roles -----------------------------------------------------------------------------

VISIT = [
    ("clinician", "Good morning. What brings you in today?"),
    ("patient", "My feet have been burning at night and I can't sleep."),
    ("clinician", "Any chest pain or shortness of breath?"),
    ("patient", "No, nothing like that."),
    ("clinician", "Your blood pressure is high today, so let's increase the lisinopril."),
    ("patient", "Okay, thank you doctor."),
]


def test_roles_follow_lexical_cues_without_alternation_prior() -> None:
    cues = load_speaker_cues()
    roles = assign_roles([text for _, text in VISIT], cues=cues, switch_probability=0.5)
    assert roles == [role for role, _ in VISIT]


def test_alternation_prior_fixes_an_ambiguous_turn() -> None:
    cues = load_speaker_cues()
    texts = [text for _, text in VISIT]
    texts[3] = "Hmm."  # no cue of its own
    roles = assign_roles(texts, cues=cues, switch_probability=0.95)
    assert roles == [role for role, _ in VISIT]


def test_label_segments_returns_copies_with_roles() -> None:
    cues = load_speaker_cues()
    segments = [
        Segment(id=index, start=float(index), end=index + 0.9, text=text)
        for index, (_, text) in enumerate(VISIT)
    ]
    labelled = label_segments(segments, cues=cues, switch_probability=0.5)
    assert [segment.speaker for segment in labelled] == [role for role, _ in VISIT]
    assert all(segment.speaker == "unknown" for segment in segments)
    assert label_segments([], cues=cues) == ()


def test_invalid_speaker_cues_are_rejected() -> None:
    shipped = json.loads(
        resources.files("scribe.transcription").joinpath("data/speaker_cues.json").read_text()
    )
    for broken in (
        {**shipped, "extra": 1},
        {**shipped, "cues": [{"name": "x", "pattern": "(", "weight": 1.0}]},
        {**shipped, "turn_switch_probability": 1.5},
    ):
        with pytest.raises(SpeakerCuesError):
            parse_speaker_cues(json.dumps(broken))


# --- the Whisper adapter with a fake engine ------------------------------------------------------


class _FakeEngine:
    """Stands in for faster-whisper: returns fixed words and records the options it got."""

    def __init__(self, *answers: list[tuple[str, float, float]]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[list[Any], Any]:
        self.calls.append(options)
        items = self.answers[min(len(self.calls), len(self.answers)) - 1]
        words = [SimpleNamespace(word=w, start=s, end=e, probability=0.8) for w, s, e in items]
        segment = SimpleNamespace(
            text="".join(w for w, _, _ in items),
            start=items[0][1] if items else 0.0,
            end=items[-1][2] if items else 0.0,
            words=words,
        )
        return [segment], SimpleNamespace(language="en")


def _transcriber(tmp_path: Path, **kwargs: Any) -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber(
        tmp_path / "no-model-here",
        model_sha256="0" * 64,
        model_name="fake-whisper",
        vocabulary=load_vocabulary(),
        **kwargs,
    )


def test_silence_gives_empty_transcript_without_loading_the_model(tmp_path: Path) -> None:
    transcriber = _transcriber(tmp_path)
    transcript = transcriber.transcribe(np.zeros(SAMPLE_RATE * 3, dtype=np.float32))
    assert transcript.segments == ()
    assert transcript.notices == (NO_SPEECH_NOTICE,)
    assert transcript.duration == pytest.approx(3.0)
    assert not transcriber.loaded


def test_adapter_builds_segments_roles_and_provenance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _FakeEngine(
        [
            (" How", 0.0, 0.2),
            (" are", 0.2, 0.4),
            (" your", 0.4, 0.6),
            (" feet?", 0.6, 0.9),
            (" My", 1.5, 1.7),
            (" feet", 1.7, 1.9),
            (" burn.", 1.9, 2.3),
        ]
    )
    transcriber = _transcriber(tmp_path, biasing="initial_prompt")
    monkeypatch.setattr(transcriber, "_load", lambda: engine)
    tone = (0.1 * np.sin(np.arange(SAMPLE_RATE * 3) / 10)).astype(np.float32)

    transcript = transcriber.transcribe(tone, hotwords=("gabapentin",))

    assert [s.text for s in transcript.segments] == ["How are your feet?", "My feet burn."]
    assert [s.id for s in transcript.segments] == [0, 1]
    assert [s.speaker for s in transcript.segments] == ["clinician", "patient"]
    assert [w.text for w in transcript.segments[1].words] == ["My", "feet", "burn."]
    assert transcript.notices == ()
    options = engine.calls[0]
    assert options["vad_filter"] is True and options["word_timestamps"] is True
    assert options["initial_prompt"].startswith("gabapentin, ")
    assert "hotwords" not in options
    main = transcript.provenance[0]
    assert main.model_name == "fake-whisper" and main.model_sha256 == "0" * 64
    assert main.rules_version == f"clinical-vocabulary {load_vocabulary().version}"
    assert main.parameters["patient_terms"] == 1
    assert "gabapentin" not in json.dumps(main.parameters)


def test_adapter_rejects_multichannel_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mono"):
        _transcriber(tmp_path).transcribe(np.zeros((2, 16000), dtype=np.float32))


# --- end to end with the bundled model ---------------------------------------------------------


@pytest.mark.e2e
def test_sample_visit_transcribes_within_wer_target() -> None:
    from models import resolve
    from scribe.audio import decode_audio
    from scribe.contracts import PatientContext
    from scribe.evaluation.wer import word_error_rate
    from scribe.samples import sample_patient_path, sample_script_text, sample_visit_path

    model = resolve(
        "bundled:whisper-tiny.en",
        setting="SCRIBE_WHISPER_MODEL",
        cache_dir=Path("var/model-cache"),
    )
    vocabulary = load_vocabulary()
    patient = PatientContext.model_validate_json(sample_patient_path().read_text())
    hotwords = patient_terms(vocabulary, medications=patient.medications, problems=patient.problems)
    transcriber = FasterWhisperTranscriber(
        model.path, model_sha256=model.sha256, model_name=model.name, vocabulary=vocabulary
    )
    audio = decode_audio(sample_visit_path(), max_seconds=600)

    transcript = transcriber.transcribe(audio.samples, hotwords=hotwords)

    reference = " ".join(
        line.split(":", 1)[1] for line in sample_script_text().splitlines() if line.strip()
    )
    assert word_error_rate(reference, transcript.text) <= 0.15
    assert len(transcript.segments) >= 10
    assert [s.id for s in transcript.segments] == list(range(len(transcript.segments)))
    assert {s.speaker for s in transcript.segments} == {"clinician", "patient"}
    for segment in transcript.segments:
        assert segment.words
        assert all(w.start <= w.end for w in segment.words)
        assert segment.start <= segment.words[0].start + 1e-6
    assert transcript.provenance[0].model_sha256 == model.sha256


def test_repetition_loop_is_decoded_again_without_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = [(" verneit,", 0.1 * i, 0.1 * i + 0.1) for i in range(40)]
    clean = [(" Any", 0.0, 0.3), (" chest", 0.3, 0.6), (" pain?", 0.6, 1.0)]
    engine = _FakeEngine(loop, clean)
    transcriber = _transcriber(tmp_path)
    monkeypatch.setattr(transcriber, "_load", lambda: engine)
    tone = (0.1 * np.sin(np.arange(SAMPLE_RATE * 4) / 10)).astype(np.float32)

    transcript = transcriber.transcribe(tone, hotwords=("apixaban",))

    assert transcript.text == "Any chest pain?"
    assert len(engine.calls) == 2
    assert "initial_prompt" in engine.calls[0]
    assert "initial_prompt" not in engine.calls[1]
    assert engine.calls[1]["clip_timestamps"] == [{"start": 0.0, "end": 4.0}]


def test_hotwords_strip_doses_from_patient_medications() -> None:
    vocabulary = parse_vocabulary(json.dumps({"version": "t", "terms": ["lisinopril"]}))
    hotwords = build_hotwords(
        vocabulary, ("metformin 1000 mg twice daily", "type 2 diabetes", "Eliquis 5mg BID")
    )
    assert hotwords == "metformin, type 2 diabetes, Eliquis, lisinopril"


# --- voice cue ---------------------------------------------------------------------------------


def _voiced(pitch_hz: float, seconds: float) -> np.ndarray:
    times = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    harmonics = sum(np.sin(2 * np.pi * pitch_hz * k * times) / k for k in range(1, 6))
    return (0.1 * harmonics).astype(np.float32)


def test_pitch_split_finds_a_low_and_a_high_voice() -> None:
    pitches_hz = [110, 220, 105, 230, 115, 210]
    audio = np.concatenate([_voiced(p, 1.0) for p in pitches_hz])
    spans = [(float(i), float(i) + 1.0) for i in range(len(pitches_hz))]

    pitches = segment_pitches(audio, spans)

    for measured, true in zip(pitches, pitches_hz, strict=True):
        assert measured == pytest.approx(true, rel=0.05)
    assert two_voice_split(pitches) == [0, 1, 0, 1, 0, 1]
    assert two_voice_split([120.0, 125.0, 118.0, 122.0, 119.0]) is None
    assert segment_pitches(np.zeros(SAMPLE_RATE, dtype=np.float32), [(0.0, 1.0)]) == [None]


def test_voice_split_overrides_weak_lexical_evidence() -> None:
    cues = load_speaker_cues()
    texts = [
        "Any chest pain or shortness of breath?",
        "No, my feet hurt at night.",
        "This sounds like diabetic neuropathy.",  # clinician, no lexical cue to say so
        "Let's recheck your kidney function.",
        "Okay, thank you doctor.",
    ]
    voices = [0, 1, 0, 0, 1]
    without = assign_roles(texts, cues=cues, switch_probability=0.5)
    with_voice = assign_roles(texts, cues=cues, switch_probability=0.5, voices=voices)
    assert without[2] == "patient"
    assert with_voice == ["clinician", "patient", "clinician", "clinician", "patient"]
