"""Tablet capture: consent first, then a recording uploaded in numbered chunks, then finish.

The server never loses an acknowledged chunk (acknowledged only once its encrypted file is
fsynced and its row committed) and never counts a retried one twice ((capture, seq) is unique;
the same bytes again are a replay, different bytes for an acknowledged seq a conflict). Chunks
may arrive in any order. Finishing checks there are no gaps, assembles the chunks in order (the
pieces of one MediaRecorder recording concatenate into one valid stream), validates it like a
plain upload and stores it as one Recording with its transcription job, exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from scribe import capture_files, services
from scribe.audio import DecodedAudio
from scribe.audit import record_event
from scribe.consent import ConsentScript, consent_script, current_consent_script
from scribe.crypto_at_rest import audio_key
from scribe.db import transaction
from scribe.intake import DecodeLimits, seal_upload, validate_audio
from scribe.live_transcription import enqueue_live_job
from scribe.recordings import StoredUpload
from scribe.settings import Settings
from scribe.sniff import container_of_type
from scribe.tables import CaptureChunk, CaptureSession, Consent, new_id, utcnow

__all__ = [
    "CONSENT_METHODS",
    "CaptureConfig",
    "CaptureError",
    "CaptureState",
    "ChunkAck",
    "ConsentScript",
    "Finished",
    "capture_status",
    "cleanup_orphans",
    "current_consent_script",
    "finish",
    "get_capture",
    "put_chunk",
    "record_consent",
    "start_capture",
]

logger = logging.getLogger(__name__)
CONSENT_METHODS = ("verbal", "written", "signed")
_SUFFIX = {"webm": ".webm", "ogg": ".ogg", "mp4": ".m4a"}


class CaptureError(Exception):
    """A refused capture request; `status_code` is the HTTP status to answer with."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass(frozen=True)
class CaptureConfig:
    """Where chunks and recordings live, the key, and the limits."""

    captures_dir: Path
    recordings_dir: Path
    key: bytes
    max_chunk_bytes: int
    max_total_bytes: int
    limits: DecodeLimits
    max_attempts: int
    live_transcription: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> CaptureConfig:
        """The configuration of this service."""
        return cls(
            captures_dir=settings.captures_dir,
            recordings_dir=settings.recordings_dir,
            key=audio_key(settings),
            max_chunk_bytes=settings.max_chunk_bytes,
            max_total_bytes=settings.max_upload_bytes,
            limits=DecodeLimits.from_settings(settings),
            max_attempts=settings.job_max_attempts,
            live_transcription=settings.live_transcription,
        )


@dataclass(frozen=True)
class ChunkAck:
    """An acknowledged chunk (`replayed`: it had been acknowledged before)."""

    seq: int
    sha256: str
    size_bytes: int
    replayed: bool


@dataclass(frozen=True)
class CaptureState:
    """What the server holds of a capture: received seqs with their sha256, and the gaps."""

    capture: CaptureSession
    received: dict[int, str]
    missing: list[int]
    total_bytes: int


@dataclass(frozen=True)
class Finished:
    """The recording and job a finished capture produced."""

    capture_id: str
    recording_id: str
    job_id: str
    sha256: str
    size_bytes: int
    duration_seconds: float
    replayed: bool


def record_consent(
    *,
    session: Session,
    encounter_id: str,
    consented_by: str,
    method: str,
    script_version: str,
    actor: str,
) -> Consent:
    """Record who consented, how and to which script (the name is PHI: never logged)."""
    encounter = services.get_encounter_row(session, encounter_id)
    script = consent_script(script_version)
    if script is None:
        raise CaptureError(422, f"unknown consent script version {script_version!r}")
    if method not in CONSENT_METHODS:
        raise CaptureError(422, f"consent method must be one of {', '.join(CONSENT_METHODS)}")
    if not consented_by.strip():
        raise CaptureError(422, "who consented must be given")
    consent = Consent(
        encounter_id=encounter_id,
        patient_id=encounter.patient_id,
        consented_by=consented_by.strip(),
        recorded_by=actor,
        script_version=script.version,
        script_sha256=script.sha256,
        method=method,
    )
    session.add(consent)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="consent.record",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"consent/{consent.id}",
        details={"script_version": script.version, "method": method},
    )
    return consent


def start_capture(
    *,
    session: Session,
    encounter_id: str,
    consent_id: str | None,
    mime_type: str,
    actor: str,
) -> CaptureSession:
    """Open a capture; refused (409) unless consent was recorded for this encounter."""
    encounter = services.get_encounter_row(session, encounter_id)
    query = select(Consent).where(Consent.encounter_id == encounter_id)
    if consent_id is not None:
        query = query.where(Consent.id == consent_id)
    consent = session.exec(query.order_by(col(Consent.consented_at).desc())).first()
    if consent is None:
        raise CaptureError(409, "record the patient's consent before recording")
    if container_of_type(mime_type) not in _SUFFIX:
        raise CaptureError(415, f"cannot record as {mime_type!r}: use WebM, Ogg or MP4 audio")
    capture = CaptureSession(
        encounter_id=encounter_id, consent_id=consent.id, mime_type=mime_type, created_by=actor
    )
    session.add(capture)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="capture.start",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"capture/{capture.id}",
        details={"consent_id": consent.id, "mime_type": mime_type},
    )
    return capture


def get_capture(session: Session, capture_id: str) -> CaptureSession:
    """A capture row (404 when unknown)."""
    capture = session.get(CaptureSession, capture_id)
    if capture is None:
        raise services.NotFound(f"capture {capture_id} not found")
    return capture


def _chunk(session: Session, capture_id: str, seq: int) -> CaptureChunk | None:
    return session.exec(
        select(CaptureChunk).where(CaptureChunk.capture_id == capture_id, CaptureChunk.seq == seq)
    ).first()


def _replay_or_conflict(row: CaptureChunk, sha256: str) -> ChunkAck:
    if row.sha256 != sha256:
        raise CaptureError(409, f"chunk {row.seq} was already received with different content")
    return ChunkAck(row.seq, row.sha256, row.size_bytes, replayed=True)


def _check_chunk(data: bytes, sha256: str, seq: int, config: CaptureConfig) -> None:
    if seq < 0 or seq > 1_000_000:
        raise CaptureError(422, "the chunk sequence number is out of range")
    if len(data) > config.max_chunk_bytes:
        raise CaptureError(413, f"a chunk may hold at most {config.max_chunk_bytes} bytes")
    if not data:
        raise CaptureError(422, "the chunk is empty")
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise CaptureError(422, "the chunk does not match its X-Chunk-SHA256")


def _total_bytes(session: Session, capture_id: str) -> int:
    total = session.exec(
        select(func.sum(CaptureChunk.size_bytes)).where(CaptureChunk.capture_id == capture_id)
    ).one()
    return int(total or 0)


def put_chunk(
    *, engine: Engine, config: CaptureConfig, capture_id: str, seq: int, data: bytes, sha256: str
) -> ChunkAck:
    """Store one chunk; acknowledged only after its file is fsynced and its row committed."""
    sha256 = sha256.lower()
    with transaction(engine) as session:
        capture = get_capture(session, capture_id)
        if (row := _chunk(session, capture_id, seq)) is not None:
            return _replay_or_conflict(row, sha256)
        if capture.status != "open":
            raise CaptureError(409, f"the capture is {capture.status}: no more chunks")
        _check_chunk(data, sha256, seq, config)
        if _total_bytes(session, capture_id) + len(data) > config.max_total_bytes:
            raise CaptureError(413, f"the recording exceeds {config.max_total_bytes} bytes")
    path = capture_files.write_chunk(
        capture_files.capture_dir(config.captures_dir, capture_id), seq, data, config.key
    )
    try:
        with transaction(engine) as session:
            capture = get_capture(session, capture_id)
            if capture.status != "open":
                raise CaptureError(409, f"the capture is {capture.status}: no more chunks")
            if _total_bytes(session, capture_id) + len(data) > config.max_total_bytes:
                raise CaptureError(413, f"the recording exceeds {config.max_total_bytes} bytes")
            session.add(
                CaptureChunk(
                    capture_id=capture_id,
                    seq=seq,
                    sha256=sha256,
                    size_bytes=len(data),
                    storage_path=str(path),
                )
            )
            capture.updated_at = utcnow()
            session.add(capture)
            if config.live_transcription:
                enqueue_live_job(session, capture, max_attempts=config.max_attempts)
    except IntegrityError:  # the same seq committed concurrently
        path.unlink(missing_ok=True)
        with transaction(engine) as session:
            row = _chunk(session, capture_id, seq)
        if row is None:
            raise
        return _replay_or_conflict(row, sha256)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ChunkAck(seq, sha256, len(data), replayed=False)


def capture_status(*, session: Session, capture_id: str) -> CaptureState:
    """Received seqs with their sha256, and the seqs missing below the highest one."""
    capture = get_capture(session, capture_id)
    rows = session.exec(
        select(CaptureChunk)
        .where(CaptureChunk.capture_id == capture_id)
        .order_by(col(CaptureChunk.seq))
    ).all()
    received = {row.seq: row.sha256 for row in rows}
    top = capture.last_seq if capture.last_seq is not None else max(received, default=-1)
    missing = [seq for seq in range(top + 1) if seq not in received]
    return CaptureState(capture, received, missing, sum(row.size_bytes for row in rows))


def _finished(session: Session, capture: CaptureSession) -> Finished:
    found = services.find_recording(session=session, idempotency_key=_key(capture.id))
    if found is None:
        raise services.NotFound(f"the recording of capture {capture.id} no longer exists")
    recording, job = found
    return Finished(
        capture.id,
        recording.id,
        job.id,
        recording.sha256,
        recording.size_bytes,
        recording.duration_seconds,
        replayed=True,
    )


def _key(capture_id: str) -> str:
    return f"capture:{capture_id}"


def _chunks_to_assemble(
    session: Session, capture: CaptureSession, last_seq: int
) -> list[tuple[Path, str]]:
    rows = session.exec(
        select(CaptureChunk)
        .where(CaptureChunk.capture_id == capture.id)
        .order_by(col(CaptureChunk.seq))
    ).all()
    seqs = {row.seq for row in rows}
    missing = [seq for seq in range(last_seq + 1) if seq not in seqs]
    if missing:
        shown = ", ".join(str(seq) for seq in missing[:20])
        raise CaptureError(409, f"chunks missing: {shown}" + (" ..." if len(missing) > 20 else ""))
    if any(seq > last_seq for seq in seqs):
        raise CaptureError(409, f"chunks were received after last_seq {last_seq}")
    return [(Path(row.storage_path), row.sha256) for row in rows]


def finish(
    *,
    engine: Engine,
    config: CaptureConfig,
    capture_id: str,
    last_seq: int,
    total_sha256: str | None,
    actor: str,
) -> Finished:
    """Assemble, validate and store the recording; queue its transcription (idempotent)."""
    with transaction(engine) as session:
        capture = get_capture(session, capture_id)
        if capture.status == "finished":
            if capture.last_seq != last_seq:
                raise CaptureError(409, f"the capture was finished at last_seq {capture.last_seq}")
            return _finished(session, capture)
        if capture.status != "open":
            raise CaptureError(409, f"the capture is {capture.status}")
        if last_seq < 0:
            raise CaptureError(422, "last_seq must be at least 0")
        chunks = _chunks_to_assemble(session, capture, last_seq)
        mime_type, encounter_id = capture.mime_type, capture.encounter_id
    suffix = _SUFFIX[container_of_type(mime_type) or "webm"]
    work = config.recordings_dir / "incoming"
    work.mkdir(parents=True, exist_ok=True)
    plain = work / f"capture-{capture_id}-{new_id()[:8]}{suffix}"
    sealed: StoredUpload | None = None
    try:
        try:
            sha256, size = capture_files.assemble(chunks, plain, config.key)
        except capture_files.ChunkCorrupted as error:
            raise CaptureError(422, str(error)) from error
        if total_sha256 is not None and total_sha256.lower() != sha256:
            raise CaptureError(422, "the assembled recording does not match total_sha256")
        if size > config.max_total_bytes:
            raise CaptureError(413, f"the recording exceeds {config.max_total_bytes} bytes")
        audio = validate_audio(plain, suffix=suffix, content_type=mime_type, limits=config.limits)
        sealed = seal_upload(StoredUpload(plain, sha256, size), config.key)
        result = _store(engine, config, capture_id, encounter_id, sealed, audio, actor, last_seq)
    finally:
        plain.unlink(missing_ok=True)
        if sealed is not None:
            sealed.path.unlink(missing_ok=True)
    capture_files.remove_capture_dir(capture_files.capture_dir(config.captures_dir, capture_id))
    return result


class _FinishedMeanwhile(Exception):
    """Another request finished the capture while this one assembled it."""


def _store(
    engine: Engine,
    config: CaptureConfig,
    capture_id: str,
    encounter_id: str,
    sealed: StoredUpload,
    audio: DecodedAudio,
    actor: str,
    last_seq: int,
) -> Finished:
    destination: Path | None = None
    try:
        with transaction(engine) as session:
            capture = get_capture(session, capture_id)
            if capture.status != "open":
                raise _FinishedMeanwhile()
            recording, job = services.accept_recording(
                session=session,
                encounter_id=encounter_id,
                upload=sealed,
                container=audio.container,
                duration_seconds=audio.duration,
                content_type=capture.mime_type,
                idempotency_key=_key(capture_id),
                recordings_dir=config.recordings_dir,
                actor=actor,
                max_attempts=config.max_attempts,
            )
            destination = Path(recording.storage_path)
            capture.status, capture.finished_at, capture.updated_at = "finished", utcnow(), utcnow()
            capture.last_seq, capture.recording_id = last_seq, recording.id
            session.add(capture)
            record_event(
                session,
                actor=actor,
                action="capture.finish",
                patient_id=services.get_encounter_row(session, encounter_id).patient_id,
                encounter_id=encounter_id,
                subject=f"capture/{capture_id}",
                details={"chunks": last_seq + 1, "recording_id": recording.id, "job_id": job.id},
            )
    except (IntegrityError, _FinishedMeanwhile):
        if destination:
            destination.unlink(missing_ok=True)
        with transaction(engine) as session:
            capture = get_capture(session, capture_id)
            if capture.status != "finished":
                raise
            return _finished(session, capture)
    except BaseException:
        if destination:
            destination.unlink(missing_ok=True)
        raise
    return Finished(
        capture_id,
        recording.id,
        job.id,
        sealed.sha256,
        sealed.size_bytes,
        recording.duration_seconds,
        replayed=False,
    )


def cleanup_orphans(*, engine: Engine, settings: Settings, older_than: datetime) -> int:
    """Abandon captures untouched since `older_than`; delete their chunk files and stale temp
    files. Returns how many files were deleted."""
    deleted = 0
    with transaction(engine) as session:
        stale = session.exec(
            select(CaptureSession).where(
                CaptureSession.status == "open", col(CaptureSession.updated_at) < older_than
            )
        ).all()
        for capture in stale:
            capture.status, capture.updated_at = "abandoned", utcnow()
            session.add(capture)
            record_event(
                session,
                actor="system:cleanup",
                action="capture.abandon",
                encounter_id=capture.encounter_id,
                subject=f"capture/{capture.id}",
            )
        done = session.exec(
            select(CaptureSession.id).where(
                col(CaptureSession.status).in_(("finished", "abandoned"))
            )
        ).all()
    for capture_id in done:
        folder = capture_files.capture_dir(settings.captures_dir, capture_id)
        if folder.exists():
            deleted += sum(1 for p in folder.rglob("*") if p.is_file())
            capture_files.remove_capture_dir(folder)
    deleted += _remove_stale_files(settings.recordings_dir / "incoming", older_than)
    deleted += _remove_stale_files(settings.captures_dir, older_than, pattern="*/*.part")
    logger.info("cleanup: abandoned=%d files_deleted=%d", len(stale), deleted)
    return deleted


def _remove_stale_files(folder: Path, older_than: datetime, *, pattern: str = "*") -> int:
    if not folder.is_dir():
        return 0
    cutoff = older_than.timestamp()
    removed = 0
    for path in folder.glob(pattern):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
