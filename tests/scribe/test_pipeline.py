"""Pipeline handlers with small fake stages: idempotent writes, fencing, chaining, audit."""

from __future__ import annotations

import io
import time
import wave
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from scribe import jobs
from scribe.audit import verify_database
from scribe.contracts import (
    Draft,
    Evidence,
    NoteSection,
    NoteSentence,
    PatientContext,
    Provenance,
    Segment,
    Transcript,
)
from scribe.db import transaction
from scribe.jobs import Claim, StaleAttempt
from scribe.pipeline import DraftHandler, TranscribeHandler, visit_hotwords
from scribe.recordings import StoredUpload
from scribe.schemas import EncounterCreate, PatientCreate, VisitContext
from scribe.services import DRAFT_JOB, TRANSCRIBE_JOB, accept_recording, create_encounter
from scribe.services import create_patient as create_patient_row
from scribe.tables import Job, NoteDraftRecord, TranscriptRecord
from scribe.transcription import load_vocabulary

VOCABULARY = load_vocabulary()


class FakeTranscriber:
    def __init__(self) -> None:
        self.hotwords: list[tuple[str, ...]] = []

    def transcribe(self, audio: object, *, hotwords: tuple[str, ...] = ()) -> Transcript:
        self.hotwords.append(hotwords)
        return Transcript(
            segments=(
                Segment(id=0, start=0, end=2, text="How is the metformin?", speaker="clinician"),
                Segment(id=1, start=2, end=4, text="Fine, no problems.", speaker="patient"),
            ),
            duration=4.0,
            provenance=(Provenance(component="fake-transcriber", code_version="test"),),
        )


class FakeDrafter:
    name = "fake"

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        sentence = NoteSentence(
            id="s1",
            text="Taking metformin.",
            evidence=(Evidence(segment_id=0, score=1.0, method="extraction"),),
        )
        return Draft(
            sections=(NoteSection(key="hpi", title="HPI", sentences=(sentence,)),),
            drafter=self.name,
        )


def _wav(path: Path) -> StoredUpload:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes((np.zeros(16000)).astype("<i2").tobytes())
    path.write_bytes(buffer.getvalue())
    return StoredUpload(path, "0" * 64, path.stat().st_size)


@pytest.fixture
def queued(engine: Engine, tmp_path: Path) -> str:
    with transaction(engine) as session:
        patient = create_patient_row(
            session=session, data=PatientCreate(birth_date=date(1950, 2, 3), sex="M"), actor="t"
        )
        encounter = create_encounter(
            session=session,
            data=EncounterCreate(
                patient_id=patient.id,
                date_of_service=date(2026, 11, 2),
                context=VisitContext(medications=["metformin 500 mg"], problems=["E11.9", "gout"]),
            ),
            actor="t",
        )
        accept_recording(
            session=session,
            encounter_id=encounter.id,
            upload=_wav(tmp_path / "upload.wav"),
            container="wav",
            duration_seconds=1.0,
            content_type="audio/wav",
            idempotency_key=None,
            recordings_dir=tmp_path / "recordings",
            actor="t",
            max_attempts=3,
        )
        return encounter.id


def _claim(engine: Engine, kind: str) -> Claim:
    claim = jobs.claim_next(engine, worker_id="w", lease_seconds=30, kinds=(kind,))
    assert claim is not None
    return claim


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_transcribe_then_draft_chains_through_jobs(engine: Engine, queued: str) -> None:
    transcriber = FakeTranscriber()
    TranscribeHandler(transcriber, vocabulary=VOCABULARY, max_audio_seconds=60, max_attempts=3)(
        _claim(engine, TRANSCRIBE_JOB), engine
    )
    assert transcriber.hotwords == [("metformin", "type 2 diabetes", "gout")]
    DraftHandler(FakeDrafter())(_claim(engine, DRAFT_JOB), engine)
    with transaction(engine) as session:
        statuses = {job.kind: job.status for job in session.exec(select(Job)).all()}
        note = session.exec(select(NoteDraftRecord)).one()
        assert verify_database(session).ok
    assert statuses == {TRANSCRIBE_JOB: "succeeded", DRAFT_JOB: "succeeded"}
    assert (note.version, note.drafter, note.encounter_id) == (1, "fake", queued)


def test_rerun_after_a_committed_output_writes_nothing_twice(engine: Engine, queued: str) -> None:
    handler = TranscribeHandler(
        FakeTranscriber(), vocabulary=VOCABULARY, max_audio_seconds=60, max_attempts=3
    )
    first = _claim(engine, TRANSCRIBE_JOB)
    handler(first, engine)
    with transaction(engine) as session:  # pretend the job row was reset after the commit
        job = session.get(Job, first.job_id)
        assert job is not None
        job.status, job.run_after = "queued", jobs.utcnow()
    handler(_claim(engine, TRANSCRIBE_JOB), engine)
    assert _count(engine, "transcript") == 1
    assert _count(engine, "job WHERE kind = 'draft'") == 1


def test_superseded_attempt_writes_nothing(engine: Engine, queued: str) -> None:
    old = jobs.claim_next(engine, worker_id="w1", lease_seconds=0.01, kinds=(TRANSCRIBE_JOB,))
    assert old is not None
    time.sleep(0.05)
    _claim(engine, TRANSCRIBE_JOB)
    with pytest.raises(StaleAttempt):
        TranscribeHandler(
            FakeTranscriber(), vocabulary=VOCABULARY, max_audio_seconds=60, max_attempts=3
        )(old, engine)
    assert _count(engine, "transcript") == 0
    with transaction(engine) as session:
        assert session.exec(select(TranscriptRecord)).first() is None


def test_hotwords_are_drug_names_and_spoken_problems() -> None:
    context = {"medications": ["apixaban 5 mg"], "problems": ["I48.91", "Z99.99", "gout"]}
    terms = visit_hotwords(context, load_vocabulary())
    assert terms[0] == "apixaban"
    assert "gout" in terms and not any("Z99" in term or "I48" in term for term in terms)
    assert any("fibrillation" in term for term in terms)


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
