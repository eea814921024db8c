"""Live transcription: chunks of an open capture are transcribed while the visit goes on.

Job `live_transcribe` (at most one queued or running per capture, queued when a chunk is
acknowledged) decodes the contiguous prefix of acknowledged chunks and, once at least
MIN_NEW_SECONDS of audio lie beyond `committed_until`, recognises the window that starts
OVERLAP_SECONDS before it. Of the window's words it commits those that were not committed before
(their midpoint lies at or after `committed_until`: deduplicated by time, never by text) and that
end before the last UNSTABLE_TAIL_SECONDS (a word at the window's edge may be cut; it is redone
with more context next time), up to the last pause among them. When the capture is finished,
the transcription job recognises only the tail beyond `committed_until` by the same rule
(`transcribe_from_live`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scribe import capture_files, jobs
from scribe.audio import SAMPLE_RATE, AudioError, is_silent
from scribe.audio_sandbox import decode_audio_isolated
from scribe.contracts import Transcript
from scribe.db import transaction
from scribe.jobs import Claim, PermanentJobError
from scribe.sniff import container_of_type
from scribe.tables import CaptureChunk, CaptureSession, Encounter, Job, LiveTranscript, utcnow
from scribe.transcription.segmentation import TimedWord
from scribe.transcription.vocabulary import ClinicalVocabulary, visit_hotwords

__all__ = [
    "LIVE_JOB",
    "Committed",
    "LiveTranscribeHandler",
    "WordTranscriber",
    "commit_window",
    "enqueue_live_job",
    "live_words_for_recording",
    "transcribe_from_live",
    "window_start",
]

logger = logging.getLogger(__name__)

LIVE_JOB = "live_transcribe"
OVERLAP_SECONDS = 2.0
UNSTABLE_TAIL_SECONDS = 3.0
MIN_NEW_SECONDS = 20.0
PAUSE_SECONDS = 0.3


@runtime_checkable
class WordTranscriber(Protocol):
    """A transcriber that recognises windows of a recording and assembles the words."""

    def transcribe_words(
        self, audio: np.ndarray, *, offset_seconds: float = 0.0, hotwords: tuple[str, ...] = ()
    ) -> list[TimedWord]:
        """The words of `audio`, timed in recording seconds (the window starts at the offset)."""
        ...

    def assemble(
        self, words: Sequence[TimedWord], audio: np.ndarray, *, hotwords: tuple[str, ...] = ()
    ) -> Transcript:
        """The transcript of the whole recording from its words."""
        ...


@dataclass(frozen=True)
class Committed:
    """Words committed so far and the recording second up to which they are final."""

    words: tuple[TimedWord, ...] = ()
    until: float = 0.0


def window_start(committed: Committed) -> float:
    """Where the next window starts: OVERLAP_SECONDS before the committed end (never below 0)."""
    return max(0.0, committed.until - OVERLAP_SECONDS)


def commit_window(
    committed: Committed,
    window_words: Sequence[TimedWord],
    *,
    window_end: float,
    final: bool,
    silent: bool = False,
) -> Committed:
    """Add the words of a window that starts at `window_start(committed)` and ends at
    `window_end` (the end of the audio decoded so far).

    A word already committed (it lies in the overlap: its midpoint is before `committed.until`)
    is dropped, whatever text the recogniser gave it this time. Unless `final`, words that end
    in the last UNSTABLE_TAIL_SECONDS, and every word after them, wait for the next window; the
    commit then stops at the last pause (PAUSE_SECONDS between words) and `until` falls in that
    pause. Otherwise `until` becomes the end of the last committed word, or the safe end when
    the window's new audio is `silent` (no new words from audio that is not silent are taken as
    a recognition miss: `until` stays and the next, longer window tries again).
    """
    safe_end = window_end if final else window_end - UNSTABLE_TAIL_SECONDS
    fresh = [
        word
        for word in sorted(window_words, key=lambda item: item.start)
        if (word.start + word.end) / 2 >= committed.until
    ]
    new: list[TimedWord] = []
    for word in fresh:
        if word.end > safe_end:
            break
        new.append(word)
    until_new = new[-1].end if new else committed.until
    if new and len(new) < len(fresh):
        # End the commit at the last pause, so the next window's edge falls into a gap and
        # not inside a word whose timing the recogniser may shift.
        gaps = [i for i in range(len(new)) if fresh[i + 1].start - new[i].end >= PAUSE_SECONDS]
        if gaps:
            new = new[: gaps[-1] + 1]
            until_new = min(new[-1].end + PAUSE_SECONDS / 2, safe_end)
    if new:
        until = max(committed.until, until_new)
    elif not fresh and silent:
        until = max(committed.until, safe_end)
    else:
        until = committed.until
    return Committed(committed.words + tuple(new), until)


def _to_json(words: Sequence[TimedWord]) -> list[dict[str, Any]]:
    return [
        {"text": w.text, "start": w.start, "end": w.end, "probability": w.probability}
        for w in words
    ]


def _from_row(row: LiveTranscript | None) -> Committed:
    if row is None:
        return Committed()
    words = tuple(
        TimedWord(str(w["text"]), float(w["start"]), float(w["end"]), float(w["probability"]))
        for w in row.words
    )
    return Committed(words, float(row.committed_until))


def enqueue_live_job(
    session: Session,
    capture: CaptureSession,
    *,
    max_attempts: int,
    unless: tuple[str, ...] = (jobs.QUEUED, jobs.RUNNING),
) -> None:
    """Queue a live transcription step for `capture` unless one is already `unless` (queued or
    running; a running step passes only queued, as it is itself the running one)."""
    pending = session.exec(
        select(Job.id).where(
            Job.kind == LIVE_JOB,
            col(Job.status).in_(unless),
            Job.payload["capture_id"].as_string() == capture.id,
        )
    ).first()
    if pending is None:
        jobs.enqueue(
            session,
            kind=LIVE_JOB,
            encounter_id=capture.encounter_id,
            payload={"capture_id": capture.id},
            max_attempts=max_attempts,
        )


def _contiguous_chunks(session: Session, capture_id: str) -> list[CaptureChunk]:
    rows = session.exec(
        select(CaptureChunk)
        .where(CaptureChunk.capture_id == capture_id)
        .order_by(col(CaptureChunk.seq))
    ).all()
    prefix: list[CaptureChunk] = []
    for row in rows:
        if row.seq != len(prefix):
            break
        prefix.append(row)
    return prefix


@contextmanager
def _plain_prefix(chunks: Sequence[CaptureChunk], key: bytes, suffix: str) -> Iterator[Path]:
    descriptor, name = tempfile.mkstemp(prefix="live-", suffix=suffix)
    os.close(descriptor)
    try:
        capture_files.assemble(
            [(Path(row.storage_path), row.sha256) for row in chunks], Path(name), key
        )
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


@dataclass(frozen=True)
class _Snapshot:
    capture: CaptureSession
    chunks: list[CaptureChunk]
    committed: Committed
    row: LiveTranscript | None
    hotwords: tuple[str, ...]


class LiveTranscribeHandler:
    """Job `live_transcribe`: transcribe what arrived of an open capture, commit stable words."""

    def __init__(
        self,
        transcriber: WordTranscriber,
        *,
        vocabulary: ClinicalVocabulary,
        audio_key: bytes,
        max_audio_seconds: float,
        decode_timeout_seconds: float,
        decode_memory_bytes: int,
        max_attempts: int,
        min_new_seconds: float = MIN_NEW_SECONDS,
    ) -> None:
        self._transcriber = transcriber
        self._vocabulary = vocabulary
        self._key = audio_key
        self._max_seconds = max_audio_seconds
        self._timeout = decode_timeout_seconds
        self._memory = decode_memory_bytes
        self._max_attempts = max_attempts
        self._min_new = min_new_seconds

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Run one live step for the capture in the claim."""
        capture_id = str(claim.payload["capture_id"])
        snapshot = self._snapshot(engine, capture_id)
        result: tuple[Committed, float] | None = None
        if snapshot is not None and self._worth_decoding(snapshot):
            result = self._step(snapshot)
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            if snapshot is not None and result is not None:
                self._store(session, snapshot, *result)
            capture = session.get(CaptureSession, capture_id)
            if (
                snapshot is not None
                and capture is not None
                and capture.status == "open"
                and len(_contiguous_chunks(session, capture_id)) > len(snapshot.chunks)
            ):
                enqueue_live_job(
                    session, capture, max_attempts=self._max_attempts, unless=(jobs.QUEUED,)
                )
            jobs.complete(session, claim)

    def _snapshot(self, engine: Engine, capture_id: str) -> _Snapshot | None:
        with transaction(engine) as session:
            capture = session.get(CaptureSession, capture_id)
            if capture is None:
                raise PermanentJobError(f"capture {capture_id} no longer exists")
            if capture.status != "open":
                return None  # finished: the transcription job takes over from here
            chunks = _contiguous_chunks(session, capture_id)
            if not chunks:
                return None
            row = session.get(LiveTranscript, capture_id)
            encounter = session.get(Encounter, capture.encounter_id)
            context = dict(encounter.context) if encounter is not None else {}
            session.expunge_all()
        hotwords = visit_hotwords(context, self._vocabulary)
        return _Snapshot(capture, chunks, _from_row(row), row, hotwords)

    def _worth_decoding(self, snapshot: _Snapshot) -> bool:
        """Skip decoding when the bytes that arrived since last time hold too little audio."""
        row = snapshot.row
        if row is None or row.bytes_seen <= 0 or row.audio_seconds <= 0:
            return True
        size = sum(chunk.size_bytes for chunk in snapshot.chunks)
        estimated = size * row.audio_seconds / row.bytes_seen
        return estimated - snapshot.committed.until >= self._min_new

    def _step(self, snapshot: _Snapshot) -> tuple[Committed, float] | None:
        suffix = "." + (container_of_type(snapshot.capture.mime_type) or "webm")
        try:
            with _plain_prefix(snapshot.chunks, self._key, suffix) as plain:
                audio = decode_audio_isolated(
                    plain,
                    max_seconds=self._max_seconds,
                    timeout=self._timeout,
                    memory_bytes=self._memory,
                )
        except (AudioError, capture_files.ChunkCorrupted, OSError) as error:
            # A prefix that does not decode yet (or chunks removed by finish) is no failure:
            # the next chunk queues another step, and the transcription job covers the rest.
            logger.info("live step skipped for capture %s: %s", snapshot.capture.id, error)
            return None
        samples = audio.samples
        end = samples.size / SAMPLE_RATE
        committed = snapshot.committed
        if end - committed.until < self._min_new:
            return committed, end
        start = window_start(committed)
        words = self._transcriber.transcribe_words(
            samples[int(start * SAMPLE_RATE) :], offset_seconds=start, hotwords=snapshot.hotwords
        )
        new_audio = samples[int(committed.until * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        return commit_window(
            committed, words, window_end=end, final=False, silent=is_silent(new_audio)
        ), end

    def _store(
        self, session: Session, snapshot: _Snapshot, committed: Committed, audio_seconds: float
    ) -> None:
        capture_id = snapshot.capture.id
        row = session.get(LiveTranscript, capture_id)
        if row is None:
            row = LiveTranscript(capture_id=capture_id)
        elif abs(row.committed_until - snapshot.committed.until) > 1e-9 or len(row.words) != len(
            snapshot.committed.words
        ):
            return  # another step committed meanwhile: this one's words may overlap; drop them
        advanced = committed.until > snapshot.committed.until
        row.words = _to_json(committed.words)
        row.committed_until = committed.until
        row.chunks = len(snapshot.chunks)
        row.bytes_seen = sum(chunk.size_bytes for chunk in snapshot.chunks)
        row.audio_seconds = audio_seconds
        row.windows += 1 if advanced else 0
        row.updated_at = utcnow()
        session.add(row)


def live_words_for_recording(session: Session, recording_id: str) -> Committed | None:
    """The words committed live for the capture that produced `recording_id` (None if none)."""
    row = session.exec(
        select(LiveTranscript)
        .join(CaptureSession, col(CaptureSession.id) == col(LiveTranscript.capture_id))
        .where(CaptureSession.recording_id == recording_id)
    ).first()
    committed = _from_row(row)
    return committed if committed.until > 0 else None


def transcribe_from_live(
    transcriber: WordTranscriber,
    samples: np.ndarray,
    committed: Committed,
    *,
    hotwords: tuple[str, ...],
) -> Transcript:
    """The whole recording's transcript: the live words plus the tail recognised now."""
    start = window_start(committed)
    end = samples.size / SAMPLE_RATE
    tail = transcriber.transcribe_words(
        samples[int(start * SAMPLE_RATE) :], offset_seconds=start, hotwords=hotwords
    )
    merged = commit_window(committed, tail, window_end=end, final=True)
    logger.info(
        "transcribed from live words: committed=%d tail_seconds=%.1f tail_words=%d",
        len(committed.words),
        end - start,
        len(merged.words) - len(committed.words),
    )
    return transcriber.assemble(merged.words, samples, hotwords=hotwords)
