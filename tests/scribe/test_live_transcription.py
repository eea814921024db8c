"""Live transcription: the overlap/commit rule, and the shipped sample through live steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scribe import capture
from scribe.capture import CaptureConfig
from scribe.db import transaction
from scribe.live_transcription import (
    LIVE_JOB,
    WINDOW_SECONDS,
    Committed,
    LiveTranscribeHandler,
    choose_cut,
    commit_window,
    quietest_moment,
)
from scribe.schemas import EncounterCreate, PatientCreate, VisitContext
from scribe.services import TRANSCRIBE_JOB, create_encounter, create_patient, load_transcript
from scribe.settings import Settings
from scribe.tables import Job, LiveTranscript, TranscriptRecord
from scribe.transcription.segmentation import TimedWord
from tests.audio_samples import cut

ACTOR = "user:dr.a"


def _w(text: str, start: float, end: float) -> TimedWord:
    return TimedWord(f" {text}", start, end, 0.9)


# --- where a window ends, with synthetic speech spans (no model) ---------------------------------


def test_a_window_ends_in_the_latest_long_pause_within_reach() -> None:
    spans = [(0.5, 9.0), (9.5, 16.0), (16.2, 22.0), (22.6, 28.9), (29.5, 40.0)]
    # Pauses: 9.0-9.5 (too early), 16.0-16.2 (short), 22.0-22.6, 28.9-29.5 (latest long one).
    assert choose_cut(spans, start=0.0, end=45.0) == (pytest.approx(29.2), "pause")
    # Relative to where the window starts, never beyond WINDOW_SECONDS after it.
    shifted = [(a + 100, b + 100) for a, b in spans]
    assert choose_cut(shifted, start=100.0, end=145.0) == (pytest.approx(129.2), "pause")


def test_without_a_long_pause_the_longest_short_one_is_taken() -> None:
    spans = [(0.2, 14.0), (14.1, 20.0), (20.2, 27.0), (27.05, 40.0)]
    assert choose_cut(spans, start=0.0, end=45.0) == (pytest.approx(20.1), "pause")


def test_a_pause_needs_audio_after_it() -> None:
    # Speech ends 0.5 s before the decoded audio does: the speaker may just be drawing breath.
    assert choose_cut([(0.0, 5.0), (5.5, 29.5)], start=0.0, end=30.0) is None
    # Two seconds of quiet after the speech: the window ends inside it.
    cut, why = choose_cut([(0.0, 15.0)], start=0.0, end=31.0) or (0.0, "")
    assert why == "pause" and 15.0 < cut <= 30.0


def test_silence_moves_on_and_speech_without_pause_has_no_cut() -> None:
    assert choose_cut([], start=10.0, end=45.0) == (44.0, "silence")
    assert choose_cut([(10.0, 50.0)], start=10.0, end=50.0) is None


def test_the_quietest_moment_is_the_last_resort() -> None:
    rate = 16000
    noise = np.random.default_rng(7).normal(0.0, 0.1, rate * 35).astype(np.float32)
    noise[int(21.0 * rate) : int(21.02 * rate)] = 0.0  # one quiet 20 ms frame
    moment = quietest_moment(noise, start=5.0, low=17.0, high=35.0)
    assert moment == pytest.approx(26.01, abs=0.02)  # 21.0 s into samples that begin at 5.0


def test_a_window_commits_all_its_words_and_moves_to_the_cut() -> None:
    before = Committed((_w("yes", 1.0, 1.2),), until=1.5)
    after = commit_window(before, [_w("bye", 9.5, 9.9), _w("good", 8.0, 8.4)], cut=20.1)
    assert [w.text.strip() for w in after.words] == ["yes", "good", "bye"]
    assert after.until == 20.1
    assert commit_window(after, [], cut=10.0).until == 20.1  # never backwards


class _FakeTranscriber:
    """Records the windows it is asked for; says one word per window."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []

    def transcribe_words(
        self, audio: np.ndarray, *, offset_seconds: float = 0.0, hotwords: tuple[str, ...] = ()
    ) -> list[TimedWord]:
        end = offset_seconds + audio.size / 16000
        self.windows.append((offset_seconds, end))
        return [_w("word", offset_seconds + 1.0, offset_seconds + 1.5)]


def test_windows_are_back_to_back_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from scribe.live_transcription import _StepResult

    fake = _FakeTranscriber()
    # Speech everywhere with a 0.4 s pause every 7 seconds.
    pauses = [(t, t + 0.4) for t in np.arange(7.0, 200.0, 7.0)]
    handler = LiveTranscribeHandler(
        fake,  # type: ignore[arg-type]
        vocabulary=None,  # type: ignore[arg-type]
        audio_key=b"k" * 32,
        max_audio_seconds=600,
        decode_timeout_seconds=10,
        decode_memory_bytes=1 << 30,
        max_attempts=3,
        speech_spans=lambda rest: _spans_of_rest(pauses, total=100.0, length=rest.size / 16000),
        max_windows_per_step=10,
    )
    samples = np.zeros(16000 * 100, dtype=np.float32)
    committed = Committed()
    windows = 0
    while 100.0 - committed.until > WINDOW_SECONDS + 1.0:
        committed = handler._window(samples, committed, 100.0, ())
        windows += 1
    assert windows == len(fake.windows) == 3
    assert fake.windows[0][0] == 0.0
    for (_, end), (start, _) in zip(fake.windows, fake.windows[1:], strict=False):
        assert start == pytest.approx(end, abs=1e-3)  # back to back: nothing lost, nothing twice
    assert all(12.0 <= end - start <= WINDOW_SECONDS for start, end in fake.windows)
    assert not _StepResult(committed, 100.0, windows).backlog


def _spans_of_rest(
    pauses: list[tuple[float, float]], *, total: float, length: float
) -> list[tuple[float, float]]:
    """Speech spans, in seconds from its own start, of the last `length` seconds of a recording
    of `total` seconds whose pauses (recording seconds) are given."""
    offset = total - length
    spans, begin = [], 0.0
    for start, end in pauses:
        if end <= offset:
            continue
        if start - offset >= length:
            break
        if start - offset > begin:
            spans.append((begin, start - offset))
        begin = end - offset
    spans.append((begin, length))
    return spans


# --- the shipped sample through live steps, then finish ------------------------------------------


@pytest.fixture(scope="module")
def transcriber() -> object:
    from models import resolve
    from scribe.transcription import FasterWhisperTranscriber, load_vocabulary

    model = resolve(
        "bundled:whisper-tiny.en", setting="SCRIBE_WHISPER_MODEL", cache_dir=Path("var/model-cache")
    )
    return FasterWhisperTranscriber(
        model.path, model_sha256=model.sha256, model_name=model.name, vocabulary=load_vocabulary()
    )


def _sample_context() -> VisitContext:
    from scribe.samples import sample_patient_path

    patient = json.loads(sample_patient_path().read_text())
    return VisitContext(medications=patient["medications"], problems=patient["problems"])


def _start_capture(engine: Engine) -> str:
    context = _sample_context()
    with transaction(engine) as session:
        patient = create_patient(
            session=session, data=PatientCreate(birth_date=date(1954, 3, 14), sex="F"), actor=ACTOR
        )
        encounter = create_encounter(
            session=session,
            data=EncounterCreate(
                patient_id=patient.id, date_of_service=date(2026, 11, 20), context=context
            ),
            actor=ACTOR,
        )
        consent = capture.record_consent(
            session=session,
            encounter_id=encounter.id,
            consented_by="the patient",
            method="verbal",
            script_version=capture.current_consent_script().version,
            actor=ACTOR,
        )
        return capture.start_capture(
            session=session,
            encounter_id=encounter.id,
            consent_id=consent.id,
            mime_type="audio/ogg;codecs=opus",
            actor=ACTOR,
        ).id


@pytest.mark.e2e
def test_sample_visit_live_matches_the_plain_path(
    engine: Engine, settings: Settings, transcriber: object
) -> None:
    from scribe.audio import decode_audio
    from scribe.evaluation.wer import word_error_rate
    from scribe.pipeline import TranscribeHandler
    from scribe.samples import sample_script_text, sample_visit_path
    from scribe.transcription import load_vocabulary
    from scribe.transcription.vocabulary import visit_hotwords
    from scribe.worker import Worker

    config = replace(CaptureConfig.from_settings(settings), live_transcription=True)
    vocabulary = load_vocabulary()
    handlers = {
        LIVE_JOB: LiveTranscribeHandler(
            transcriber,  # type: ignore[arg-type]
            vocabulary=vocabulary,
            audio_key=config.key,
            max_audio_seconds=600,
            decode_timeout_seconds=60,
            decode_memory_bytes=settings.decode_memory_limit,
            max_attempts=3,
        ),
        TRANSCRIBE_JOB: TranscribeHandler(
            transcriber,  # type: ignore[arg-type]
            vocabulary=vocabulary,
            max_audio_seconds=600,
            max_attempts=3,
            audio_key=config.key,
        ),
    }
    worker = Worker(engine, handlers, lease_seconds=120, max_attempts=3, poll_seconds=0.1)
    capture_id = _start_capture(engine)
    pieces = cut(sample_visit_path().read_bytes(), 28)  # about 3 s of audio each
    for seq, piece in enumerate(pieces):
        capture.put_chunk(
            engine=engine,
            config=config,
            capture_id=capture_id,
            seq=seq,
            data=piece,
            sha256=hashlib.sha256(piece).hexdigest(),
        )
        while worker.run_once():
            pass
    with transaction(engine) as session:
        live = session.get(LiveTranscript, capture_id)
        assert live is not None and live.windows >= 2 and live.committed_until > 50
        failed = session.exec(select(Job).where(Job.status == "failed")).all()
        assert not failed, [job.last_error for job in failed]
    capture.finish(
        engine=engine,
        config=config,
        capture_id=capture_id,
        last_seq=len(pieces) - 1,
        total_sha256=None,
        actor=ACTOR,
    )
    while worker.run_once():
        pass
    with transaction(engine) as session:
        record_id = session.exec(select(TranscriptRecord.id)).one()
        _record, live_transcript = load_transcript(session, record_id)

    hotwords = visit_hotwords(_sample_context().model_dump(), vocabulary)
    samples = decode_audio(sample_visit_path(), max_seconds=600).samples
    plain = transcriber.transcribe(samples, hotwords=hotwords)  # type: ignore[attr-defined]
    reference = " ".join(
        line.split(":", 1)[1] for line in sample_script_text().splitlines() if line.strip()
    )
    live_wer = word_error_rate(reference, live_transcript.text)
    plain_wer = word_error_rate(reference, plain.text)
    assert live_wer <= plain_wer + 0.03, (live_wer, plain_wer, live_transcript.text)
    words = [word for segment in live_transcript.segments for word in segment.words]
    for previous, word in zip(words, words[1:], strict=False):
        # A word doubled at a window's edge would overlap its twin in time.
        assert word.start >= previous.end - 0.1, (previous, word)
    assert {s.speaker for s in live_transcript.segments} == {"clinician", "patient"}
    assert [s.id for s in live_transcript.segments] == list(range(len(live_transcript.segments)))
