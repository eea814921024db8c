"""The coder queue page (filters, keyset pages, bulk decisions, query the clinician) and the
clinicians' list of open queries with their answer forms.

Each page view writes one audit event in the same transaction as its reads (fail closed); each
form posts to a route here that redirects back with a notice, or shows the page again with the
reason it was refused.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from coding import clinician_queries
from coding.clinician_queries import ANSWER_OUTCOMES, LeadingQuestion
from coding.queue import BadCursor, QueueFilter, queue_page
from coding.services import REASON_REQUIRED, change_status_many
from coding.tables import ClinicianQuery
from review_ui.coder_queue import clinician_choices, clinician_scope, owned_encounters
from review_ui.deps import EngineDep
from review_ui.policy import ClinicalWriter, CoderQueue, EncounterStaff, check_encounter_access
from review_ui.web import render
from scribe.db import transaction
from scribe.services import Conflict, NotFound
from scribe.tables import Encounter

router = APIRouter()

PAGE_SIZE = 50
FILTERS = ("clinician", "date_from", "date_to", "kind", "status", "hcc", "min_raf", "sort")
KINDS = ("supported", "undocumented", "specificity", "recapture", "unsupported")
STATUSES = ("open", "queried", "deferred", "accepted", "rejected")
BULK_ACTIONS = {"accepted": "Accept", "rejected": "Reject", "deferred": "Defer"}
DONE = {
    "accepted": "accepted",
    "rejected": "rejected",
    "deferred": "deferred",
    "queried": "sent to the clinician as a query",
}
Text = Annotated[str, Form(max_length=4000)]


def _clean(params: dict[str, str]) -> dict[str, str]:
    """The known filters that are set (what links and redirects carry back)."""
    return {name: params[name].strip()[:128] for name in FILTERS if params.get(name, "").strip()}


def _back(raw: str) -> dict[str, str]:
    """Filters from a form's `back` field: only known names survive (no open redirect)."""
    return _clean(dict(parse_qsl(raw[:2000])))


def _day(text: str, name: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        errors.append(f"{name} is not a date (YYYY-MM-DD); ignored")
        return None


def _number(text: str, errors: list[str]) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        errors.append("minimum RAF impact is not a number; ignored")
        return None


def _queue_filter(params: dict[str, str], after: str, errors: list[str]) -> QueueFilter:
    clinician = params.get("clinician", "")
    status = params.get("status", "open")
    return QueueFilter(
        status=None if status == "any" else status,
        kind=params.get("kind") or None,
        hcc_v28=params.get("hcc") or None,
        encounter_scope=clinician_scope(clinician) if clinician else None,
        date_from=_day(params.get("date_from", ""), "date from", errors),
        date_to=_day(params.get("date_to", ""), "date to", errors),
        min_raf_delta=_number(params.get("min_raf", ""), errors),
        sort="age" if params.get("sort") == "age" else "raf",
        limit=PAGE_SIZE,
        after=after[:256] or None,
    )


def _row_view(row: Any) -> dict[str, Any]:
    suggestion = row.suggestion
    evidence = suggestion.payload.get("evidence") or [{}]
    return {
        "row": suggestion,
        "date_of_service": row.date_of_service,
        "age": row.age_on(row.date_of_service),
        "sex": row.sex,
        "quote": (evidence[0] or {}).get("quote", ""),
        "query_text": suggestion.payload.get("query_text") or "",
    }


def _queue_view(
    request: Request,
    engine: EngineDep,
    user: Any,
    params: dict[str, str],
    *,
    after: str = "",
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    filters = _clean(params)
    errors: list[str] = [error] if error else []
    wanted = _queue_filter(filters, after, errors)
    try:
        with transaction(engine) as session:
            clinicians = clinician_choices(session)
            page = queue_page(session=session, filters=wanted, actor=user.actor)
    except BadCursor as bad:
        return _queue_view(request, engine, user, params, error=str(bad), status_code=422)
    query = urlencode(filters)
    context = {
        "filters": filters,
        "clinicians": clinicians,
        "kinds": KINDS,
        "statuses": STATUSES,
        "bulk_actions": BULK_ACTIONS,
        "rows": [_row_view(row) for row in page.rows],
        "total": page.total,
        "paged": bool(after),
        "back": query,
        "first_url": "/queue" + (f"?{query}" if query else ""),
        "next_url": "/queue?" + urlencode({**filters, "after": page.next_cursor})
        if page.next_cursor
        else "",
        "errors": errors,
        "notice": notice,
    }
    return render(request, "queue.html", context, status_code=status_code)


@router.get("/queue", include_in_schema=False)
def queue(
    user: CoderQueue,
    request: Request,
    engine: EngineDep,
    after: str = "",
    done: str = "",
    count: int = 0,
) -> Response:
    """The coder queue: filters, sort, a page of suggestions, bulk and query forms."""
    params = {name: str(request.query_params.get(name, "")) for name in FILTERS}
    notice = ""
    if done in DONE:
        what = f"{count} suggestion{'' if count == 1 else 's'}" if count else "The suggestion"
        notice = f"{what} {DONE[done]}."
    return _queue_view(request, engine, user, params, after=after, notice=notice)


def _redirect(filters: dict[str, str], **extra: Any) -> RedirectResponse:
    return RedirectResponse("/queue?" + urlencode({**filters, **extra}), status_code=303)


@router.post("/queue/bulk", include_in_schema=False)
def queue_bulk(
    user: CoderQueue,
    request: Request,
    engine: EngineDep,
    action: Annotated[str, Form(max_length=16)],
    ids: Annotated[list[str] | None, Form()] = None,
    reason: Text = "",
    back: Text = "",
) -> Response:
    """Accept, reject or defer the checked suggestions: all of them, or none (with the reason)."""
    filters = _back(back)
    problem, code = "", 422
    if action not in BULK_ACTIONS:
        problem = "Choose accept, reject or defer."
    elif not ids:
        problem = "Select at least one suggestion."
    elif len(ids) > PAGE_SIZE * 10:
        problem = f"Select at most {PAGE_SIZE * 10} suggestions at a time."
    elif action in REASON_REQUIRED and not reason.strip():
        problem = f"A reason is required to {BULK_ACTIONS[action].lower()} suggestions."
    else:
        try:
            with transaction(engine) as session:
                changed = change_status_many(
                    session=session, ids=ids, status=action, reason=reason, actor=user.actor
                )
            return _redirect(filters, done=action, count=len(changed))
        except NotFound as error:
            problem, code = f"Nothing was changed: {error}.", 404
        except Conflict as error:
            problem, code = f"Nothing was changed: {error}.", 409
    return _queue_view(request, engine, user, filters, error=problem, status_code=code)


@router.post("/queue/query", include_in_schema=False)
def queue_query(
    user: CoderQueue,
    request: Request,
    engine: EngineDep,
    encounter_id: Annotated[str, Form(max_length=64)],
    question: Text,
    suggestion_id: Annotated[str, Form(max_length=64)] = "",
    back: Text = "",
) -> Response:
    """Send a neutral question about one suggestion to its encounter's clinician."""
    filters = _back(back)
    try:
        with transaction(engine) as session:
            clinician_queries.ask_clinician(
                session=session,
                encounter_id=encounter_id,
                question=question,
                suggestion_id=suggestion_id or None,
                actor=user.actor,
            )
        return _redirect(filters, done="queried")
    except LeadingQuestion as error:
        problem, code = f"The query was not sent: {error}", 422
    except NotFound as error:
        problem, code = f"The query was not sent: {error}.", 404
    except Conflict as error:
        problem, code = f"The query was not sent: {error}.", 409
    return _queue_view(request, engine, user, filters, error=problem, status_code=code)


def _queries_view(
    request: Request,
    engine: EngineDep,
    user: Any,
    *,
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    scope = owned_encounters(user.username) if user.role == "clinician" else None
    with transaction(engine) as session:
        queries = clinician_queries.list_queries(
            session=session, actor=user.actor, status="open", encounter_scope=scope
        )
        ids = {query.encounter_id for query in queries}
        encounters = {
            encounter.id: encounter
            for encounter in session.exec(select(Encounter).where(col(Encounter.id).in_(ids)))
        }
    context = {
        "queries": queries,
        "encounters": encounters,
        "outcomes": ANSWER_OUTCOMES,
        "can_answer": user.role in ("clinician", "admin"),
        "error": error,
        "notice": notice,
    }
    return render(request, "queries.html", context, status_code=status_code)


@router.get("/queries", include_in_schema=False)
def queries(
    user: EncounterStaff, request: Request, engine: EngineDep, answered: str = ""
) -> Response:
    """Open clinician queries: a clinician's own encounters only; coders and admins see all."""
    notice = f"Your answer ({answered}) was recorded." if answered in ANSWER_OUTCOMES else ""
    return _queries_view(request, engine, user, notice=notice)


@router.post("/queries/{query_id}/answer", include_in_schema=False)
def answer(
    query_id: str,
    user: ClinicalWriter,
    request: Request,
    engine: EngineDep,
    outcome: Annotated[str, Form(max_length=16)],
    answer: Text = "",
) -> Response:
    """The clinician who owns the encounter answers a query: amended or declined."""
    with transaction(engine) as session:
        found = session.get(ClinicianQuery, query_id)
    check_encounter_access(
        engine,
        user,
        found.encounter_id if found else None,
        request=request,
        not_found=f"query {query_id} not found",
    )
    try:
        with transaction(engine) as session:
            clinician_queries.answer_query(
                session=session, query_id=query_id, outcome=outcome, answer=answer, actor=user.actor
            )
    except Conflict as error:
        code = 409 if "already answered" in str(error) else 422
        return _queries_view(
            request, engine, user, error=f"Not recorded: {error}.", status_code=code
        )
    return RedirectResponse(f"/queries?answered={outcome}", status_code=303)
