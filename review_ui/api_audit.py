"""Compliance API: search the audit trail, export it, verify the chain, get the signing key.

Every search, export and verification is itself audited, in the same transaction as the read
it describes: if the audit write fails, the request fails (fail closed).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine

from coding.packet import encounter_packet_files
from review_ui.deps import EngineDep, SettingsDep
from review_ui.policy import AnyUser, AuditReader
from scribe.audit import record_event, verify_database
from scribe.audit_export import MEDIA_TYPES, export_chunks
from scribe.audit_packet import write_packet
from scribe.audit_query import AuditFilter, search_events
from scribe.audit_signing import ExportSigner, key_id
from scribe.db import transaction
from scribe.services import get_encounter_row
from scribe.settings import Settings

router = APIRouter(prefix="/api/audit")
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "fhir": "fhir.json"}


def audit_signer(request: Request, settings: Settings) -> ExportSigner:
    """The service's export signer, loaded once per app."""
    state = request.app.state
    if getattr(state, "audit_signer", None) is None:
        state.audit_signer = ExportSigner.for_settings(settings)
    return state.audit_signer  # type: ignore[no-any-return]


def audit_filter(
    actor: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    patient_id: Annotated[str | None, Query(max_length=64)] = None,
    encounter_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilter:
    """The search filters from the query string."""
    return AuditFilter(
        actor=actor or None,
        action=action or None,
        patient_id=patient_id or None,
        encounter_id=encounter_id or None,
        occurred_from=since,
        occurred_to=until,
    )


@router.get("/events")
def search(
    engine: EngineDep,
    user: AuditReader,
    wanted: Annotated[AuditFilter, Depends(audit_filter)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Matching events, newest first; `next_before_seq` fetches the next page."""
    with transaction(engine) as session:
        record_event(session, actor=user.actor, action="audit.searched", details=wanted.describe())
        page = search_events(session, wanted, limit=limit, before_seq=before_seq)
    return {"total": page.total, "events": page.events, "next_before_seq": page.next_before_seq}


@router.get("/export")
def export(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: AuditReader,
    wanted: Annotated[AuditFilter, Depends(audit_filter)],
    export_format: Annotated[Literal["jsonl", "csv", "fhir"], Query(alias="format")] = "jsonl",
) -> StreamingResponse:
    """Download matching events: JSON Lines (signed, verifiable alone), CSV or FHIR Bundle."""
    signer = audit_signer(request, settings)
    with transaction(engine) as session:
        record_event(
            session,
            actor=user.actor,
            action="audit.exported",
            details={"format": export_format, "filters": wanted.describe()},
        )
    name = f"audit-export.{EXTENSIONS[export_format]}"
    return StreamingResponse(
        _stream(engine, wanted, export_format, signer, user.actor),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _stream(
    engine: Engine, wanted: AuditFilter, export_format: str, signer: ExportSigner, actor: str
) -> Iterator[bytes]:
    with transaction(engine) as session:
        for chunk in export_chunks(session, wanted, export_format, signer=signer, created_by=actor):
            yield chunk.encode("utf-8")


@router.get("/verify")
def verify(engine: EngineDep, user: AuditReader) -> dict[str, Any]:
    """Verify the whole stored chain (links, hashes and the head row)."""
    with transaction(engine) as session:
        report = verify_database(session)
        record_event(
            session,
            actor=user.actor,
            action="audit.verified",
            outcome="success" if report.ok else "failure",
            details={"checked": report.checked, "ok": report.ok},
        )
    return {
        "ok": report.ok,
        "checked": report.checked,
        "last_seq": report.last_seq,
        "problems": report.problems,
    }


@router.get("/packets/{encounter_id}")
def packet(
    encounter_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: AuditReader,
) -> Response:
    """The encounter's audit packet: one signed zip that `scribe audit verify --file` checks."""
    signer = audit_signer(request, settings)
    with transaction(engine) as session:
        encounter = get_encounter_row(session, encounter_id)
        record_event(
            session,
            actor=user.actor,
            action="audit.packet_exported",
            patient_id=encounter.patient_id,
            encounter_id=encounter_id,
        )
        files = encounter_packet_files(session, encounter_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "packet.zip"
        write_packet(
            path,
            files,
            signer=signer,
            created_by=user.actor,
            subject={"encounter_id": encounter_id, "patient_id": encounter.patient_id},
        )
        data = path.read_bytes()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="audit-packet-{encounter_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/public-key")
def public_key(request: Request, settings: SettingsDep, user: AnyUser) -> dict[str, str]:
    """The public key that verifies exports and packets (pin it: `scribe audit verify`)."""
    signer = audit_signer(request, settings)
    return {"public_key": signer.public_key_b64, "key_id": key_id(signer.public_key_b64)}
