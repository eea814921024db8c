"""The visit pipeline's job handlers: recording -> transcript -> draft note.

Each handler does its slow work outside any transaction, then writes its output, the next job
and the audit event in one transaction fenced on its attempt. Writes are idempotent: a stage
whose output already exists (an earlier attempt committed it) does not write it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from scribe import jobs
from scribe.audio import AudioError, decode_audio
from scribe.audit import record_event
from scribe.contracts import NoteDrafter, Transcriber, Transcript
from scribe.crypto_at_rest import DecryptionError, decrypted_copy
from scribe.db import transaction
from scribe.jobs import Claim, PermanentJobError
from scribe.live_transcription import (
    WordTranscriber,
    live_words_for_recording,
    transcribe_from_live,
)
from scribe.services import (
    DRAFT_JOB,
    get_encounter_row,
    load_transcript,
    next_note_version,
    note_record_from_draft,
)
from scribe.tables import (
    Job,
    NoteDraftRecord,
    Recording,
    TranscriptRecord,
    TranscriptSegmentRecord,
)
from scribe.transcription.vocabulary import ClinicalVocabulary, visit_hotwords

logger = logging.getLogger(__name__)
WORKER_ACTOR = "system:worker"


def _transcript_rows(
    transcript: Transcript, *, encounter_id: str, recording_id: str, job_id: str
) -> tuple[TranscriptRecord, list[TranscriptSegmentRecord]]:
    record = TranscriptRecord(
        encounter_id=encounter_id,
        recording_id=recording_id,
        language=transcript.language,
        duration_seconds=transcript.duration,
        notices=list(transcript.notices),
        provenance=[item.model_dump(mode="json") for item in transcript.provenance],
        job_id=job_id,
    )
    segments = [
        TranscriptSegmentRecord(
            transcript_id=record.id,
            seq=segment.id,
            start=segment.start,
            end=segment.end,
            speaker=segment.speaker,
            text=segment.text,
            words=[word.model_dump(mode="json") for word in segment.words],
        )
        for segment in transcript.segments
    ]
    return record, segments


class TranscribeHandler:
    """Job `transcribe`: decode the recording, transcribe it, store it, queue the draft.

    A recording captured with live transcription has most words committed already
    (scribe.live_transcription): only the tail after them is recognised.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        vocabulary: ClinicalVocabulary,
        max_audio_seconds: float,
        max_attempts: int,
        audio_key: bytes | None = None,
    ) -> None:
        self._transcriber = transcriber
        self._audio_key = audio_key
        self._vocabulary = vocabulary
        self._max_audio_seconds = max_audio_seconds
        self._max_attempts = max_attempts

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Run the stage for one claimed job."""
        recording_id = str(claim.payload["recording_id"])
        with transaction(engine) as session:
            recording = session.get(Recording, recording_id)
            if recording is None:
                raise PermanentJobError(f"recording {recording_id} no longer exists")
            context = dict(get_encounter_row(session, recording.encounter_id).context)
            path = Path(recording.storage_path)
            done = _existing_transcript(session, recording_id)
            live = live_words_for_recording(session, recording_id)
        if done is None:
            try:
                with decrypted_copy(path, self._audio_key) as plain:
                    audio = decode_audio(plain, max_seconds=self._max_audio_seconds)
            except AudioError as error:
                raise PermanentJobError(error.reason) from error
            except DecryptionError as error:
                raise PermanentJobError(f"the stored recording cannot be read: {error}") from error
            hotwords = visit_hotwords(context, self._vocabulary)
            if live is not None and isinstance(self._transcriber, WordTranscriber):
                # Words were committed while recording: only the tail is recognised now.
                transcript = transcribe_from_live(
                    self._transcriber, audio.samples, live, hotwords=hotwords
                )
            else:
                transcript = self._transcriber.transcribe(audio.samples, hotwords=hotwords)
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            existing = _existing_transcript(session, recording_id)
            if existing is None:
                existing = self._store(session, claim, transcript, recording)
            self._queue_draft(session, claim, existing)
            jobs.complete(session, claim)

    def _store(
        self, session: Session, claim: Claim, transcript: Transcript, recording: Recording
    ) -> str:
        record, segments = _transcript_rows(
            transcript,
            encounter_id=recording.encounter_id,
            recording_id=recording.id,
            job_id=claim.job_id,
        )
        session.add(record)
        session.flush()
        session.add_all(segments)
        encounter = get_encounter_row(session, recording.encounter_id)
        encounter.status = "transcribed"
        session.add(encounter)
        record_event(
            session,
            actor=WORKER_ACTOR,
            action="transcript.create",
            patient_id=encounter.patient_id,
            encounter_id=encounter.id,
            subject=f"transcript/{record.id}",
            details={
                "job_id": claim.job_id,
                "attempt": claim.attempt,
                "segments": len(segments),
                "notices": list(transcript.notices),
            },
        )
        return record.id

    def _queue_draft(self, session: Session, claim: Claim, transcript_id: str) -> None:
        already = session.exec(
            select(Job).where(
                Job.kind == DRAFT_JOB, Job.payload["transcript_id"].as_string() == transcript_id
            )
        ).first()
        if already is None:
            jobs.enqueue(
                session,
                kind=DRAFT_JOB,
                encounter_id=claim.encounter_id,
                payload={"transcript_id": transcript_id},
                max_attempts=self._max_attempts,
            )


def _existing_transcript(session: Session, recording_id: str) -> str | None:
    return session.exec(
        select(TranscriptRecord.id).where(TranscriptRecord.recording_id == recording_id)
    ).first()


FollowUp = Callable[[Session, Claim, NoteDraftRecord], None]


class DraftHandler:
    """Job `draft`: write a note draft from a stored transcript, then queue any follow-ups."""

    def __init__(self, drafter: NoteDrafter, *, follow_ups: Sequence[FollowUp] = ()) -> None:
        self._drafter = drafter
        self._follow_ups = tuple(follow_ups)

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Run the stage for one claimed job."""
        transcript_id = str(claim.payload["transcript_id"])
        with transaction(engine) as session:
            record, transcript = load_transcript(session, transcript_id)
            done = _existing_note(session, claim.job_id)
        if done is None:
            draft = self._drafter.draft(transcript)
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            if _existing_note(session, claim.job_id) is None:
                note = note_record_from_draft(
                    draft,
                    encounter_id=record.encounter_id,
                    transcript_id=record.id,
                    version=next_note_version(session, record.encounter_id),
                    job_id=claim.job_id,
                    created_by=WORKER_ACTOR,
                )
                session.add(note)
                session.flush()
                self._after_store(session, claim, note)
            jobs.complete(session, claim)

    def _after_store(self, session: Session, claim: Claim, note: NoteDraftRecord) -> None:
        encounter = get_encounter_row(session, note.encounter_id)
        encounter.status = "drafted"
        session.add(encounter)
        record_event(
            session,
            actor=WORKER_ACTOR,
            action="note.draft",
            outcome="success",
            patient_id=encounter.patient_id,
            encounter_id=encounter.id,
            subject=f"note/{note.id}",
            details={
                "job_id": claim.job_id,
                "version": note.version,
                "drafter": note.drafter,
                "unsupported": note.unsupported_count,
            },
        )
        for follow_up in self._follow_ups:
            follow_up(session, claim, note)


def _existing_note(session: Session, job_id: str) -> str | None:
    return session.exec(select(NoteDraftRecord.id).where(NoteDraftRecord.job_id == job_id)).first()
