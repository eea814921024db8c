"""De-identified export of an encounter, and re-identification with the server-side mapping."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from review_ui.deps import DeidentifierDep, EngineDep, SettingsDep
from review_ui.policy import EncounterReader, EncounterStaff, check_encounter_access
from review_ui.privacy import date_shift_key
from scribe import exports
from scribe.db import transaction
from scribe.tables import DeidExportRecord

router = APIRouter(prefix="/api")


class ReidentifyRequest(BaseModel):
    """Text containing an export's surrogates."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500_000)


@router.post("/encounters/{encounter_id}/exports", status_code=201)
async def create_export(
    encounter_id: str,
    engine: EngineDep,
    settings: SettingsDep,
    user: EncounterReader,
    deidentifier: DeidentifierDep,
    operator: Annotated[Literal["surrogate", "tag", "redact"], Query()] = "surrogate",
) -> dict[str, Any]:
    """De-identified transcript and note of an encounter; the surrogate mapping stays here."""
    result = await run_in_threadpool(
        lambda: exports.export_deidentified(
            engine=engine,
            deidentifier=deidentifier,
            encounter_id=encounter_id,
            operator=operator,
            date_shift_key=date_shift_key(settings),
            actor=user.actor,
        )
    )
    return result.body


@router.post("/exports/{export_id}/reidentify")
def reidentify(
    export_id: str,
    body: ReidentifyRequest,
    engine: EngineDep,
    user: EncounterStaff,
    request: Request,
) -> dict[str, str]:
    """Put the originals back into text that carries an export's surrogates (audited)."""
    with transaction(engine) as session:
        found = session.get(DeidExportRecord, export_id)
    check_encounter_access(
        engine,
        user,
        found.encounter_id if found else None,
        request=request,
        not_found=f"export {export_id} not found or has no surrogate mapping",
    )
    text = exports.reidentify(engine=engine, export_id=export_id, text=body.text, actor=user.actor)
    return {"text": text}
