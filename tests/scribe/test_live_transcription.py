"""Live transcription: the overlap/commit rule, and the shipped sample through live steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scribe import capture
from scribe.capture import CaptureConfig
from scribe.db import transaction
from scribe.live_transcription import (
    LIVE_JOB,
    UNSTABLE_TAIL_SECONDS,
    Committed,
    LiveTranscribeHandler,
    commit_window,
    window_start,
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


# --- the commit rule, with synthetic words (no model) --------------------------------------------


def test_first_window_commits_all_but_the_unstable_tail() -> None:
    words = [_w("how", 0.5, 0.8), _w("are", 0.9, 1.1), _w("you", 18.0, 18.4), _w("to", 19.0, 19.3)]
    committed = commit_window(Committed(), words, window_end=22.0, final=False)
    assert [w.text for w in committed.words] == [" how", " are", " you"]
    assert committed.until == pytest.approx(18.55)  # inside the pause before "to"
    assert 22.0 - UNSTABLE_TAIL_SECONDS < 19.3  # so "to" waits for the next window


def test_words_in_the_overlap_are_dropped_by_time_whatever_their_text() -> None:
    before = Committed((_w("my", 16.0, 16.3), _w("feet", 16.4, 16.9)), until=16.9)
    assert window_start(before) == pytest.approx(14.9)
    again = [
        _w("mine", 14.95, 15.2),  # a cut-off word at the window's start, heard differently
        _w("feat", 16.35, 16.95),  # "feet" again, timed a little later: midpoint before 16.9
        _w("burn", 16.85, 17.4),  # new: starts before `until` but its midpoint is after it
        _w("at", 17.5, 17.6),
        _w("night", 40.0, 40.5),  # in the unstable tail
    ]
    after = commit_window(before, again, window_end=42.0, final=False)
    assert [w.text.strip() for w in after.words] == ["my", "feet", "burn", "at"]
    assert after.until == pytest.approx(17.75)  # in the pause before "night"


def test_the_final_window_commits_its_tail_and_silence_moves_on() -> None:
    before = Committed((_w("yes", 1.0, 1.2),), until=1.2)
    final = commit_window(
        before, [_w("yes", 1.0, 1.2), _w("bye", 9.5, 9.9)], window_end=10.0, final=True
    )
    assert [w.text.strip() for w in final.words] == ["yes", "bye"]
    silent = commit_window(before, [], window_end=30.0, final=False, silent=True)
    assert silent.words == before.words and silent.until == 27.0
    missed = commit_window(before, [], window_end=30.0, final=False, silent=False)
    assert missed == before  # no words from audio that is not silent: try again, longer
    held = commit_window(before, [_w("long", 26.5, 28.0)], window_end=30.0, final=False)
    assert held == before  # a word straddling the safe end holds everything back


def test_commits_never_go_backwards() -> None:
    before = Committed((_w("a", 5.0, 6.0),), until=6.0)
    again = commit_window(before, [_w("a", 5.0, 6.0)], window_end=6.5, final=False)
    assert again.until >= before.until and again.words == before.words


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
@pytest.mark.xfail(
    strict=True,
    reason="known gap: windows ending mid-speech lose words (live WER 0.297 vs 0.142); "
    "live transcription stays off by default until this passes",
)
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
        assert live is not None and live.windows >= 3 and live.committed_until > 50
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
