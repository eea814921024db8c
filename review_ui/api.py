"""JSON API of the visit pipeline: patients, encounters, recordings, jobs, transcripts, notes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from review_ui import accounts
from review_ui.accounts import AccountError
from review_ui.deps import EngineDep, SettingsDep
from review_ui.policy import (
    AudioWriter,
    ClinicalWriter,
    EncounterReader,
    EncounterStaff,
    check_encounter_access,
)
from scribe import services
from scribe.audio import AudioError
from scribe.crypto_at_rest import audio_key
from scribe.db import transaction
from scribe.intake import DecodeLimits, seal_upload, validate_audio
from scribe.recordings import CappedUploadWriter, EmptyUpload, StoredUpload, UploadTooLarge
from scribe.schemas import (
    EncounterCreate,
    EncounterPublic,
    JobPublic,
    PatientCreate,
    PatientPublic,
    RecordingAccepted,
)
from scribe.tables import NoteDraftRecord

router = APIRouter(prefix="/api")

ACCEPTED_CONTENT_TYPES = (
    "audio/",
    "video/webm",
    "video/mp4",
    "video/ogg",
    "application/octet-stream",
    "application/ogg",
)
SUFFIX_BY_TYPE = {
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/webm": ".webm",
    "video/webm": ".webm",
}


@router.post("/patients", status_code=201, response_model=PatientPublic)
def create_patient(data: PatientCreate, engine: EngineDep, user: ClinicalWriter) -> Any:
    """Create a patient."""
    with transaction(engine) as session:
        return services.create_patient(session=session, data=data, actor=user.actor)


@router.post(
    "/encounters", status_code=201, response_model=EncounterPublic, responses={403: {}, 422: {}}
)
def create_encounter(
    data: EncounterCreate,
    engine: EngineDep,
    user: ClinicalWriter,
    assign_to: Annotated[
        str | None,
        Query(max_length=64, description="Admins: the clinician (username) who owns it"),
    ] = None,
) -> Any:
    """Create an encounter for an existing patient; a clinician's own encounters are theirs."""
    if user.role == "clinician":
        if assign_to and accounts.normalize_username(assign_to) != user.username:
            raise HTTPException(403, "only an admin may assign an encounter to someone else")
        assign_to = user.username
        if not data.clinician:
            data = data.model_copy(update={"clinician": user.display_name[:128]})
    try:
        with transaction(engine) as session:
            encounter = services.create_encounter(session=session, data=data, actor=user.actor)
            if assign_to:
                accounts.assign_encounter(
                    session=session,
                    encounter_id=encounter.id,
                    clinician_username=assign_to,
                    actor=user.actor,
                )
            return encounter
    except AccountError as error:
        raise HTTPException(422, str(error)) from error


@router.get("/encounters/{encounter_id}", response_model=EncounterPublic)
def read_encounter(encounter_id: str, engine: EngineDep, user: EncounterReader) -> Any:
    """An encounter and its processing status."""
    with transaction(engine) as session:
        return services.get_encounter(session=session, encounter_id=encounter_id, actor=user.actor)


def _upload_suffix(filename: str | None, content_type: str) -> str:
    if filename and "." in filename:
        suffix = "." + filename.rsplit(".", 1)[-1].lower()
        if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6:
            return suffix
    return SUFFIX_BY_TYPE.get(content_type, ".audio")


async def _receive_upload(
    request: Request, directory: Path, max_bytes: int, suffix: str
) -> StoredUpload:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, f"upload exceeds the limit of {max_bytes} bytes")
    writer = CappedUploadWriter(directory, max_bytes=max_bytes)
    try:
        async for chunk in request.stream():
            writer.write(chunk)
        stored = writer.finish()
    except UploadTooLarge as error:
        raise HTTPException(413, str(error)) from error
    except EmptyUpload as error:
        raise HTTPException(422, str(error)) from error
    except BaseException:
        writer.discard()
        raise
    named = stored.path.with_suffix(suffix)
    stored.path.rename(named)
    return StoredUpload(named, stored.sha256, stored.size_bytes)


def _replay(engine: Any, key: str, sha256: str) -> RecordingAccepted | None:
    with transaction(engine) as session:
        found = services.find_recording(session=session, idempotency_key=key)
    if found is None:
        return None
    recording, job = found
    if recording.sha256 != sha256:
        raise HTTPException(409, "Idempotency-Key was already used for a different recording")
    return RecordingAccepted(
        recording_id=recording.id,
        job_id=job.id,
        sha256=recording.sha256,
        size_bytes=recording.size_bytes,
        duration_seconds=recording.duration_seconds,
        replayed=True,
    )


@router.post(
    "/encounters/{encounter_id}/recordings",
    status_code=201,
    response_model=RecordingAccepted,
    responses={
        200: {"description": "Replay of an earlier upload with the same key"},
        409: {},
        413: {},
        415: {},
        422: {},
    },
)
async def upload_recording(
    encounter_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: AudioWriter,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> Any:
    """Upload a visit recording as the raw request body; returns the job that processes it.

    The size is capped while streaming (413); magic bytes, extension and content type must agree
    (415); the file is decoded in a time- and memory-limited process (413 too long, 422 damaged)
    and stored encrypted.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith(ACCEPTED_CONTENT_TYPES):
        raise HTTPException(415, f"content type {content_type or '(none)'!r} is not audio")
    with transaction(engine) as session:
        services.get_encounter_row(session, encounter_id)
    upload = await _receive_upload(
        request,
        settings.recordings_dir / "incoming",
        settings.max_upload_bytes,
        _upload_suffix(filename, content_type),
    )
    try:
        if idempotency_key and (replay := _replay(engine, idempotency_key, upload.sha256)):
            upload.path.unlink(missing_ok=True)
            return _replayed_response(replay)
        try:
            audio = await run_in_threadpool(
                validate_audio,
                upload.path,
                suffix=upload.path.suffix,
                content_type=content_type,
                limits=DecodeLimits.from_settings(settings),
            )
        except AudioError as error:
            raise HTTPException(error.status_code, error.reason) from error
        sealed = await run_in_threadpool(seal_upload, upload, audio_key(settings))
        try:
            return await run_in_threadpool(
                _store_upload,
                engine,
                settings,
                user.actor,
                encounter_id,
                sealed,
                audio.container,
                audio.duration,
                content_type,
                idempotency_key,
            )
        finally:
            sealed.path.unlink(missing_ok=True)
    finally:
        upload.path.unlink(missing_ok=True)


def _replayed_response(body: RecordingAccepted) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=200)


def _store_upload(
    engine: Any,
    settings: Any,
    actor: str,
    encounter_id: str,
    upload: StoredUpload,
    container: str,
    duration: float,
    content_type: str,
    idempotency_key: str | None,
) -> Any:
    destination: Path | None = None
    try:
        with transaction(engine) as session:
            recording, job = services.accept_recording(
                session=session,
                encounter_id=encounter_id,
                upload=upload,
                container=container,
                duration_seconds=duration,
                content_type=content_type,
                idempotency_key=idempotency_key,
                recordings_dir=settings.recordings_dir,
                actor=actor,
                max_attempts=settings.job_max_attempts,
            )
            destination = Path(recording.storage_path)
    except IntegrityError:
        if destination:
            destination.unlink(missing_ok=True)
        replay = _replay(engine, idempotency_key or "", upload.sha256)
        if replay is None:
            raise
        return _replayed_response(replay)
    except BaseException:
        if destination:
            destination.unlink(missing_ok=True)
        raise
    return RecordingAccepted(
        recording_id=recording.id,
        job_id=job.id,
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        duration_seconds=duration,
        replayed=False,
    )


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(job_id: str, engine: EngineDep, user: EncounterStaff, request: Request) -> Any:
    """A job's status, attempts and failure reason."""
    with transaction(engine) as session:
        job = services.get_job(session=session, job_id=job_id)
    check_encounter_access(
        engine, user, job.encounter_id, request=request, not_found=f"job {job_id} not found"
    )
    return job


@router.get("/encounters/{encounter_id}/transcript")
def read_transcript(encounter_id: str, engine: EngineDep, user: EncounterReader) -> dict[str, Any]:
    """The encounter's transcript: segments with times, speaker roles and words."""
    with transaction(engine) as session:
        record, transcript = services.read_transcript(
            session=session, encounter_id=encounter_id, actor=user.actor
        )
    return {
        "id": record.id,
        "recording_id": record.recording_id,
        **transcript.model_dump(mode="json"),
    }


@router.get("/encounters/{encounter_id}/note")
def read_note(
    encounter_id: str,
    engine: EngineDep,
    user: EncounterReader,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """A draft note version (latest by default): sections, sentences, evidence, flags."""
    with transaction(engine) as session:
        note = services.read_note(
            session=session, encounter_id=encounter_id, actor=user.actor, version=version
        )
    return note_body(note)


def note_body(note: NoteDraftRecord) -> dict[str, Any]:
    """The JSON form of a stored note version (read and edit answers share it)."""
    return {
        "id": note.id,
        "encounter_id": note.encounter_id,
        "version": note.version,
        "transcript_id": note.transcript_id,
        "drafter": note.drafter,
        "unsupported_count": note.unsupported_count,
        "sections": note.sections,
        "provenance": note.provenance,
        "created_by": note.created_by,
        "created_at": note.created_at.isoformat(),
    }
