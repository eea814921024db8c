"""Playback of an encounter's recording for the review page (clinicians and admins only).

Range requests are served (the audio player seeks); the first request of a playback (no Range,
or a range from byte 0) writes one audit event before any byte is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from review_ui.deps import EngineDep
from review_ui.policy import Principal, require_encounter_access
from scribe.audit import record_event
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
) -> FileResponse:
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
    return FileResponse(
        path,
        media_type=recording.content_type or "application/octet-stream",
        headers={"Cache-Control": "no-store"},
    )
