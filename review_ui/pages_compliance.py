"""The compliance page: search the audit trail, export it, verify the chain, get packets.

The search itself is audited (one event per page view, in the same transaction as the read);
exports, packets and the public key come from the compliance API (review_ui.api_audit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from review_ui.api_audit import audit_signer
from review_ui.deps import EngineDep, SettingsDep
from review_ui.policy import AuditReader
from review_ui.web import render
from scribe.audit import record_event, verify_database
from scribe.audit_query import AuditFilter, search_events
from scribe.audit_signing import key_id
from scribe.db import transaction

router = APIRouter()
FILTER_NAMES = ("actor", "action", "patient_id", "encounter_id", "since", "until")


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/compliance", include_in_schema=False)
def compliance_page(
    user: AuditReader,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    patient_id: Annotated[str, Query(max_length=64)] = "",
    encounter_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=32)] = "",
    until: Annotated[str, Query(max_length=32)] = "",
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    verify: bool = False,
) -> Response:
    """Audit search with export links, chain verification and the packet download."""
    wanted = AuditFilter(
        actor=actor.strip() or None,
        action=action.strip() or None,
        patient_id=patient_id.strip() or None,
        encounter_id=encounter_id.strip() or None,
        occurred_from=_when(since),
        occurred_to=_when(until),
    )
    errors = [
        f"{name} is not an ISO date"
        for name, text in (("since", since), ("until", until))
        if text and _when(text) is None
    ]
    with transaction(engine) as session:
        report = verify_database(session) if verify else None
        record_event(
            session,
            actor=user.actor,
            action="audit.searched",
            details={**wanted.describe(), "page": "compliance", "verified": verify},
        )
        page = search_events(session, wanted, limit=50, before_seq=before_seq)
    filters = {
        name: value
        for name, value in zip(
            FILTER_NAMES, (actor, action, patient_id, encounter_id, since, until), strict=True
        )
        if value
    }
    signer = audit_signer(request, settings)
    context = {
        "page": page,
        "filters": filters,
        "query": urlencode(filters),
        "next_query": urlencode({**filters, "before_seq": page.next_before_seq})
        if page.next_before_seq
        else "",
        "report": report,
        "errors": errors,
        "key_id": key_id(signer.public_key_b64),
        "public_key": signer.public_key_b64,
    }
    return render(request, "compliance.html", context)
