"""Tablet capture in the service core: consent, chunks in any order, finish exactly once."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from scribe import capture
from scribe.capture import CaptureConfig, CaptureError
from scribe.crypto_at_rest import is_encrypted
from scribe.db import transaction
from scribe.schemas import EncounterCreate, PatientCreate
from scribe.services import TRANSCRIBE_JOB, create_encounter, create_patient
from scribe.settings import Settings
from scribe.tables import CaptureSession, Job, Recording, utcnow
from tests.audio_samples import cut, webm_opus

ACTOR = "user:dr.a"


@pytest.fixture
def config(settings: Settings) -> CaptureConfig:
    return CaptureConfig.from_settings(settings)


@pytest.fixture
def encounter_id(engine: Engine) -> str:
    with transaction(engine) as session:
        patient = create_patient(
            session=session,
            data=PatientCreate(birth_date=date(1950, 1, 2), sex="F"),
            actor=ACTOR,
        )
        encounter = create_encounter(
            session=session,
            data=EncounterCreate(patient_id=patient.id, date_of_service=date(2026, 11, 20)),
            actor=ACTOR,
        )
        return encounter.id


def _consent(engine: Engine, encounter_id: str) -> str:
    with transaction(engine) as session:
        return capture.record_consent(
            session=session,
            encounter_id=encounter_id,
            consented_by="the patient",
            method="verbal",
            script_version=capture.current_consent_script().version,
            actor=ACTOR,
        ).id


def _start(engine: Engine, encounter_id: str, mime: str = "audio/webm;codecs=opus") -> str:
    consent_id = _consent(engine, encounter_id)
    with transaction(engine) as session:
        return capture.start_capture(
            session=session,
            encounter_id=encounter_id,
            consent_id=consent_id,
            mime_type=mime,
            actor=ACTOR,
        ).id


def _put(engine: Engine, config: CaptureConfig, capture_id: str, seq: int, data: bytes) -> object:
    sha = hashlib.sha256(data).hexdigest()
    return capture.put_chunk(
        engine=engine, config=config, capture_id=capture_id, seq=seq, data=data, sha256=sha
    )


def _finish(engine: Engine, config: CaptureConfig, capture_id: str, last_seq: int) -> object:
    return capture.finish(
        engine=engine,
        config=config,
        capture_id=capture_id,
        last_seq=last_seq,
        total_sha256=None,
        actor=ACTOR,
    )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_capture_is_refused_without_consent(engine: Engine, encounter_id: str) -> None:
    with transaction(engine) as session, pytest.raises(CaptureError) as refused:
        capture.start_capture(
            session=session,
            encounter_id=encounter_id,
            consent_id=None,
            mime_type="audio/webm",
            actor=ACTOR,
        )
    assert refused.value.status_code == 409


def test_consent_needs_a_known_script_and_records_its_hash(
    engine: Engine, encounter_id: str
) -> None:
    with transaction(engine) as session, pytest.raises(CaptureError) as refused:
        capture.record_consent(
            session=session,
            encounter_id=encounter_id,
            consented_by="the patient",
            method="verbal",
            script_version="999",
            actor=ACTOR,
        )
    assert refused.value.status_code == 422
    _consent(engine, encounter_id)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT script_sha256, recorded_by FROM consent")).one()
    assert row == (capture.current_consent_script().sha256, ACTOR)


def test_out_of_order_duplicates_and_gaps(
    engine: Engine, config: CaptureConfig, encounter_id: str
) -> None:
    capture_id = _start(engine, encounter_id)
    pieces = cut(webm_opus(3.0), 5)
    for seq in (3, 0, 4):
        assert not _put(engine, config, capture_id, seq, pieces[seq]).replayed  # type: ignore[attr-defined]
    again = _put(engine, config, capture_id, 3, pieces[3])
    assert again.replayed  # type: ignore[attr-defined]
    with pytest.raises(CaptureError) as conflict:
        _put(engine, config, capture_id, 3, pieces[2])
    assert conflict.value.status_code == 409
    with transaction(engine) as session:
        state = capture.capture_status(session=session, capture_id=capture_id)
    assert sorted(state.received) == [0, 3, 4] and state.missing == [1, 2]
    assert state.received[3] == hashlib.sha256(pieces[3]).hexdigest()
    assert state.total_bytes == len(pieces[0]) + len(pieces[3]) + len(pieces[4])
    with pytest.raises(CaptureError) as gaps:
        _finish(engine, config, capture_id, 4)
    assert gaps.value.status_code == 409 and "1, 2" in gaps.value.reason
    assert _count(engine, "recording") == 0


def test_sha_mismatch_and_caps(engine: Engine, settings: Settings, encounter_id: str) -> None:
    capture_id = _start(engine, encounter_id)
    small = CaptureConfig.from_settings(
        settings.model_copy(update={"max_chunk_bytes": 2048, "max_upload_bytes": 4096})
    )
    with pytest.raises(CaptureError) as mismatch:
        capture.put_chunk(
            engine=engine,
            config=small,
            capture_id=capture_id,
            seq=0,
            data=b"x" * 100,
            sha256=hashlib.sha256(b"y").hexdigest(),
        )
    assert mismatch.value.status_code == 422
    with pytest.raises(CaptureError) as too_big:
        _put(engine, small, capture_id, 0, b"x" * 2049)
    assert too_big.value.status_code == 413
    _put(engine, small, capture_id, 0, b"a" * 2048)
    _put(engine, small, capture_id, 1, b"b" * 2048)
    with pytest.raises(CaptureError) as over_total:
        _put(engine, small, capture_id, 2, b"c" * 10)
    assert over_total.value.status_code == 413
    assert _count(engine, "capture_chunk") == 2


def test_chunks_are_stored_encrypted(
    engine: Engine, config: CaptureConfig, encounter_id: str
) -> None:
    capture_id = _start(engine, encounter_id)
    data = webm_opus(1.0)
    _put(engine, config, capture_id, 0, data)
    files = list((config.captures_dir / capture_id).glob("*.chunk"))
    assert len(files) == 1 and is_encrypted(files[0])
    assert data[:4] not in files[0].read_bytes()


def test_finish_assembles_exactly_one_recording_and_a_retry_replays(
    engine: Engine, config: CaptureConfig, encounter_id: str
) -> None:
    capture_id = _start(engine, encounter_id)
    whole = webm_opus(3.0)
    pieces = cut(whole, 6)
    for seq in (5, 1, 0, 3, 2, 4):
        _put(engine, config, capture_id, seq, pieces[seq])
    done = _finish(engine, config, capture_id, 5)
    assert not done.replayed  # type: ignore[attr-defined]
    assert done.sha256 == hashlib.sha256(whole).hexdigest()  # type: ignore[attr-defined]
    assert done.duration_seconds == pytest.approx(3.0, abs=0.1)  # type: ignore[attr-defined]
    again = _finish(engine, config, capture_id, 5)
    assert again.replayed and again.recording_id == done.recording_id  # type: ignore[attr-defined]
    with pytest.raises(CaptureError):
        _finish(engine, config, capture_id, 4)
    assert _put(engine, config, capture_id, 2, pieces[2]).replayed  # type: ignore[attr-defined]
    with pytest.raises(CaptureError) as closed:
        _put(engine, config, capture_id, 6, b"late")
    assert closed.value.status_code == 409
    with transaction(engine) as session:
        recording = session.exec(select(Recording)).one()
        job = session.exec(select(Job).where(Job.kind == TRANSCRIBE_JOB)).one()
    assert job.payload["recording_id"] == recording.id
    assert is_encrypted(Path(recording.storage_path))
    assert not (config.captures_dir / capture_id).exists()
    assert [p for p in (config.recordings_dir / "incoming").iterdir()] == []


def test_a_truncated_stream_is_refused_and_the_capture_stays_open(
    engine: Engine, config: CaptureConfig, encounter_id: str
) -> None:
    capture_id = _start(engine, encounter_id)
    _put(engine, config, capture_id, 0, b"hello, not audio" * 20)
    with pytest.raises(Exception) as refused:
        _finish(engine, config, capture_id, 0)
    assert getattr(refused.value, "status_code", None) == 415
    with transaction(engine) as session:
        assert session.get(CaptureSession, capture_id).status == "open"  # type: ignore[union-attr]
    assert _count(engine, "recording") == 0


def test_cleanup_abandons_stale_captures_and_deletes_their_files(
    engine: Engine, config: CaptureConfig, settings: Settings, encounter_id: str
) -> None:
    capture_id = _start(engine, encounter_id)
    _put(engine, config, capture_id, 0, b"some bytes")
    stray = settings.recordings_dir / "incoming" / "upload-stray.part"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    assert (
        capture.cleanup_orphans(
            engine=engine, settings=settings, older_than=utcnow() - timedelta(hours=1)
        )
        == 0
    )
    deleted = capture.cleanup_orphans(
        engine=engine, settings=settings, older_than=utcnow() + timedelta(seconds=5)
    )
    assert deleted == 2 and not stray.exists()
    assert not (settings.captures_dir / capture_id).exists()
    with transaction(engine) as session:
        assert session.get(CaptureSession, capture_id).status == "abandoned"  # type: ignore[union-attr]
    with pytest.raises(CaptureError):
        _put(engine, config, capture_id, 1, b"more")
