"""JSON API of tablet capture: consent, then a recording uploaded in chunks, then finish.

Clinicians reach only their own encounters (captures through their encounter); admins all.
Chunk bodies are raw bytes capped while streaming; X-Chunk-SHA256 names their sha256. The same
chunk sent again is answered 200 (a replay); a new one 201, once it is stored durably. While a
capture is recorded, its live machine draft is polled from `/captures/{id}/live?since=N`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from review_ui.deps import EngineDep, SettingsDep
from review_ui.policy import (
    AudioWriter,
    ClinicalWriter,
    Principal,
    check_encounter_access,
    require_roles,
)
from scribe import capture, capture_reads
from scribe.audio import AudioError
from scribe.db import transaction
from scribe.schemas import (
    CaptureCreate,
    CaptureFinish,
    CaptureFinished,
    CapturePublic,
    ChunkAccepted,
    ConsentCreate,
    ConsentPublic,
    ConsentScriptPublic,
    LiveTranscriptPublic,
)

router = APIRouter(prefix="/api")
CaptureWriter = Annotated[
    Principal,
    Depends(
        require_roles("clinician", "admin", note="clinicians: own encounters, checked by the route")
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {409: {}, 413: {}, 415: {}, 422: {}}


def _refused(error: capture.CaptureError | AudioError) -> HTTPException:
    return HTTPException(error.status_code, error.reason)


@router.get("/consent-script", response_model=ConsentScriptPublic)
def read_consent_script(user: ClinicalWriter) -> Any:
    """The consent script to read to the patient, with its version."""
    script = capture.current_consent_script()
    return ConsentScriptPublic(version=script.version, sha256=script.sha256, text=script.text)


@router.post(
    "/encounters/{encounter_id}/consents",
    status_code=201,
    response_model=ConsentPublic,
    responses=ERRORS,
)
def record_consent(
    encounter_id: str, data: ConsentCreate, engine: EngineDep, user: AudioWriter
) -> Any:
    """Record who consented to the recording, how, and to which script version."""
    try:
        with transaction(engine) as session:
            return capture.record_consent(
                session=session,
                encounter_id=encounter_id,
                consented_by=data.consented_by,
                method=data.method,
                script_version=data.script_version,
                actor=user.actor,
            )
    except capture.CaptureError as error:
        raise _refused(error) from error


@router.post(
    "/encounters/{encounter_id}/captures",
    status_code=201,
    response_model=CapturePublic,
    responses=ERRORS,
)
def start_capture(
    encounter_id: str, data: CaptureCreate, engine: EngineDep, user: AudioWriter
) -> Any:
    """Open a chunked recording (409 until consent is recorded for the encounter)."""
    try:
        with transaction(engine) as session:
            row = capture.start_capture(
                session=session,
                encounter_id=encounter_id,
                consent_id=data.consent_id,
                mime_type=data.mime_type,
                actor=user.actor,
            )
            return CapturePublic.model_validate(row, from_attributes=True)
    except capture.CaptureError as error:
        raise _refused(error) from error


def _owned_capture(engine: Any, user: Principal, capture_id: str, request: Request) -> None:
    with transaction(engine) as session:
        encounter_id = capture.get_capture(session, capture_id).encounter_id
    check_encounter_access(
        engine, user, encounter_id, request=request, not_found=f"capture {capture_id} not found"
    )


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, f"a chunk may hold at most {max_bytes} bytes")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > max_bytes:
            raise HTTPException(413, f"a chunk may hold at most {max_bytes} bytes")
    return bytes(body)


@router.put(
    "/captures/{capture_id}/chunks/{seq}",
    response_model=ChunkAccepted,
    status_code=201,
    responses={200: {"description": "Replay of a chunk already held"}, **ERRORS},
)
async def put_chunk(
    capture_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: CaptureWriter,
    seq: Annotated[int, Path(ge=0, le=1_000_000)],
    x_chunk_sha256: Annotated[str, Header(pattern=r"^[0-9a-fA-F]{64}$")],
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Any:
    """Store one chunk (any order); answered once it is stored durably.

    (capture, seq) is the idempotency key of a chunk; an Idempotency-Key header is accepted
    for clients that send one and changes nothing.
    """
    await run_in_threadpool(_owned_capture, engine, user, capture_id, request)
    data = await _read_capped(request, settings.max_chunk_bytes)
    config = await run_in_threadpool(capture.CaptureConfig.from_settings, settings)
    try:
        ack = await run_in_threadpool(
            lambda: capture.put_chunk(
                engine=engine,
                config=config,
                capture_id=capture_id,
                seq=seq,
                data=data,
                sha256=x_chunk_sha256,
            )
        )
    except capture.CaptureError as error:
        raise _refused(error) from error
    body = ChunkAccepted(
        seq=ack.seq, sha256=ack.sha256, size_bytes=ack.size_bytes, replayed=ack.replayed
    )
    return JSONResponse(body.model_dump(), status_code=200 if ack.replayed else 201)


def _public(state: capture.CaptureState) -> CapturePublic:
    return CapturePublic.model_validate(
        {
            **state.capture.model_dump(),
            "received": state.received,
            "missing": state.missing,
            "total_bytes": state.total_bytes,
        }
    )


@router.get("/encounters/{encounter_id}/captures", response_model=list[CapturePublic])
def list_captures(encounter_id: str, engine: EngineDep, user: AudioWriter) -> Any:
    """The encounter's captures, oldest first, with the chunks the server holds of each."""
    with transaction(engine) as session:
        states = capture_reads.encounter_captures(session=session, encounter_id=encounter_id)
        return [_public(state) for state in states]


@router.get("/captures/{capture_id}", response_model=CapturePublic)
def read_capture(capture_id: str, request: Request, engine: EngineDep, user: CaptureWriter) -> Any:
    """Which chunks the server holds (seq -> sha256) and which are missing."""
    _owned_capture(engine, user, capture_id, request)
    with transaction(engine) as session:
        return _public(capture.capture_status(session=session, capture_id=capture_id))


@router.get("/captures/{capture_id}/live", response_model=LiveTranscriptPublic, responses={422: {}})
def read_live_transcript(
    capture_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: CaptureWriter,
    since: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """The live machine draft: words committed so far, from index `since` on.

    A PHI read, audited (in the same transaction) only when it discloses words.
    """
    _owned_capture(engine, user, capture_id, request)
    try:
        with transaction(engine) as session:
            view = capture_reads.read_live_transcript(
                session=session, capture_id=capture_id, since=since, actor=user.actor
            )
    except capture.CaptureError as error:
        raise _refused(error) from error
    return LiveTranscriptPublic(
        **vars(view),
        enabled=settings.live_transcription,
        text="".join(str(word["text"]) for word in view.words),
    )


@router.post(
    "/captures/{capture_id}/finish",
    response_model=CaptureFinished,
    status_code=201,
    responses={200: {"description": "The capture was already finished"}, **ERRORS},
)
def finish_capture(
    capture_id: str,
    data: CaptureFinish,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: CaptureWriter,
) -> Any:
    """Assemble the chunks, validate the recording, store it and queue its processing."""
    _owned_capture(engine, user, capture_id, request)
    try:
        done = capture.finish(
            engine=engine,
            config=capture.CaptureConfig.from_settings(settings),
            capture_id=capture_id,
            last_seq=data.last_seq,
            total_sha256=data.total_sha256,
            actor=user.actor,
        )
    except (capture.CaptureError, AudioError) as error:
        raise _refused(error) from error
    body = CaptureFinished(**done.__dict__)
    return JSONResponse(body.model_dump(), status_code=200 if done.replayed else 201)
