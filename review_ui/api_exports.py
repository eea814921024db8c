"""De-identified export of an encounter, and re-identification with the server-side mapping."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from review_ui.deps import ActorDep, DeidentifierDep, EngineDep, SettingsDep
from review_ui.privacy import date_shift_key
from scribe import exports

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
    actor: ActorDep,
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
            actor=actor,
        )
    )
    return result.body


@router.post("/exports/{export_id}/reidentify")
def reidentify(
    export_id: str, request: ReidentifyRequest, engine: EngineDep, actor: ActorDep
) -> dict[str, str]:
    """Put the originals back into text that carries an export's surrogates (audited)."""
    text = exports.reidentify(engine=engine, export_id=export_id, text=request.text, actor=actor)
    return {"text": text}
