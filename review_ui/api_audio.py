"""Playback of an encounter's recording for the review page (clinicians and admins only).

Range requests are served (the audio player seeks); the first request of a playback (no Range,
or a range from byte 0) writes one audit event before any byte is sent. Recordings are stored
encrypted: the bytes are decrypted block by block as they are sent (a legacy plaintext file is
served as it is).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from review_ui.deps import EngineDep
from review_ui.policy import Principal, require_encounter_access
from scribe.audit import record_event
from scribe.crypto_at_rest import audio_key, is_encrypted, plaintext_size, read_range
from scribe.db import transaction
from scribe.services import NotFound, get_encounter_row
from scribe.tables import Recording

router = APIRouter(prefix="/api")
AudioListener = Annotated[Principal, Depends(require_encounter_access("clinician", "admin"))]


def _starts_playback(request: Request) -> bool:
    wanted = request.headers.get("range", "")
    return not wanted or wanted.replace(" ", "").startswith("bytes=0-")


@router.get("/encounters/{encounter_id}/recordings/{recording_id}/audio")
def recording_audio(
    encounter_id: str,
    recording_id: str,
    request: Request,
    engine: EngineDep,
    user: AudioListener,
) -> Response:
    """The stored audio of one recording of the encounter."""
    with transaction(engine) as session:
        encounter = get_encounter_row(session, encounter_id)
        recording = session.get(Recording, recording_id)
        if recording is None or recording.encounter_id != encounter_id:
            raise NotFound(f"recording {recording_id} not found")
        path = Path(recording.storage_path)
        if not path.is_file():
            raise NotFound(f"the audio of recording {recording_id} is no longer stored")
        if _starts_playback(request):
            record_event(
                session,
                actor=user.actor,
                action="recording.played",
                patient_id=encounter.patient_id,
                encounter_id=encounter_id,
                subject=f"recording/{recording_id}",
            )
    media_type = recording.content_type or "application/octet-stream"
    if not is_encrypted(path):
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-store"})
    return _decrypted_response(request, path, media_type)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive of a single `bytes=` range; None when unsatisfiable or malformed."""
    spec = header.replace(" ", "").removeprefix("bytes=")
    if "," in spec or "-" not in spec:
        return None
    first, last = spec.split("-", 1)
    if not first:  # suffix range: the last N bytes
        if not last.isdigit() or int(last) == 0:
            return None
        return max(size - int(last), 0), size - 1
    if not first.isdigit() or (last and not last.isdigit()):
        return None
    start, end = int(first), min(int(last) if last else size - 1, size - 1)
    return (start, end) if start <= end else None


def _decrypted_response(request: Request, path: Path, media_type: str) -> Response:
    key = audio_key(request.app.state.settings)
    size = plaintext_size(path)
    headers = {"Cache-Control": "no-store", "Accept-Ranges": "bytes"}
    wanted = request.headers.get("range")
    if not wanted or size == 0:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            read_range(path, key, 0, size - 1) if size else iter(()),
            media_type=media_type,
            headers=headers,
        )
    span = _byte_range(wanted, size)
    if span is None:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        read_range(path, key, start, end), status_code=206, media_type=media_type, headers=headers
    )
