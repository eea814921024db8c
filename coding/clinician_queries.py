"""Querying the clinician: a coder sends a neutral question on an encounter, the clinician answers.

A question must be neutral (the same banned-terms check as the engine's own query templates):
it states the evidence and asks; it never names a payment, score or category value. Asking
marks the suggestion it is about `queried`. The clinician answers `amended` (the note was
amended: the suggestion goes back to `open` for the coder to review against the new version)
or `declined` (the documentation stands: the suggestion is `rejected`, attributed to the
clinician). Every step is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from coding.queries import is_neutral
from coding.rulebook import load_rules
from coding.services import apply_status
from coding.tables import SUPERSEDED, ClinicianQuery, SuggestionRecord
from scribe.audit import record_event
from scribe.services import Conflict, NotFound, get_encounter_row
from scribe.tables import utcnow

__all__ = [
    "ANSWER_OUTCOMES",
    "LeadingQuestion",
    "answer_query",
    "ask_clinician",
    "get_query",
    "leading_terms",
    "list_queries",
]

ANSWER_OUTCOMES = ("amended", "declined")
MAX_QUESTION = 4000


class LeadingQuestion(ValueError):
    """A question that is empty or not neutral (names payment, scores or categories)."""


def leading_terms(text: str) -> list[str]:
    """The banned terms that `text` contains (empty when it is neutral)."""
    rules = load_rules()
    if is_neutral(rules, text):
        return []
    lowered = text.lower()
    return [term for term in rules.queries.banned_terms if term.lower() in lowered]


def _check_question(question: str) -> str:
    text = question.strip()
    if not text:
        raise LeadingQuestion("the question is empty")
    if len(text) > MAX_QUESTION:
        raise LeadingQuestion(f"the question is longer than {MAX_QUESTION} characters")
    banned = leading_terms(text)
    if banned:
        raise LeadingQuestion(
            "the question is not neutral: it mentions "
            + ", ".join(repr(term) for term in banned)
            + ". State the evidence and ask; do not name payment, scores or categories."
        )
    return text


def _suggestion_for(
    session: Session, encounter_id: str, suggestion_id: str | None
) -> SuggestionRecord | None:
    if suggestion_id is None:
        return None
    row = session.get(SuggestionRecord, suggestion_id)
    if row is None or row.encounter_id != encounter_id:
        raise NotFound(f"suggestion {suggestion_id} not found on encounter {encounter_id}")
    if row.status == SUPERSEDED:
        raise Conflict(f"suggestion {suggestion_id} is superseded: {row.status_reason}")
    already = session.exec(
        select(ClinicianQuery.id).where(
            ClinicianQuery.suggestion_id == suggestion_id, ClinicianQuery.status == "open"
        )
    ).first()
    if already is not None:
        raise Conflict(f"suggestion {suggestion_id} already has an open query ({already})")
    return row


def ask_clinician(
    *,
    session: Session,
    encounter_id: str,
    question: str,
    actor: str,
    suggestion_id: str | None = None,
) -> ClinicianQuery:
    """Send a neutral question on an encounter (optionally about one suggestion), audited.

    Raises LeadingQuestion for an empty or non-neutral question, NotFound for an unknown
    encounter or suggestion, Conflict for a superseded suggestion or one already queried.
    """
    text = _check_question(question)
    encounter = get_encounter_row(session, encounter_id)
    suggestion = _suggestion_for(session, encounter_id, suggestion_id)
    query = ClinicianQuery(
        encounter_id=encounter_id, suggestion_id=suggestion_id, question=text, asked_by=actor
    )
    session.add(query)
    session.flush()
    if suggestion is not None:
        apply_status(
            session,
            suggestion,
            status="queried",
            reason=f"clinician query {query.id}",
            actor=actor,
            patient_id=encounter.patient_id,
            details={"query": query.id},
        )
    record_event(
        session,
        actor=actor,
        action="clinician_query.ask",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"clinician_query/{query.id}",
        details={"suggestion": suggestion_id, "chars": len(text)},
    )
    return query


def get_query(session: Session, query_id: str) -> ClinicianQuery:
    """A query by id (NotFound when there is none)."""
    query = session.get(ClinicianQuery, query_id)
    if query is None:
        raise NotFound(f"query {query_id} not found")
    return query


def _settle_suggestion(
    session: Session, query: ClinicianQuery, outcome: str, actor: str, patient_id: str
) -> None:
    """An answer moves a still-queried suggestion on; a decision taken since stays as it is."""
    if query.suggestion_id is None:
        return
    row = session.get(SuggestionRecord, query.suggestion_id)
    if row is None or row.status != "queried":
        return
    status = "open" if outcome == "amended" else "rejected"
    reason = (
        "clinician amended the note; review against the amended version"
        if outcome == "amended"
        else f"clinician declined the query: {query.answer}"
    )
    apply_status(
        session,
        row,
        status=status,
        reason=reason[:2000],
        actor=actor,
        patient_id=patient_id,
        details={"query": query.id},
    )


def answer_query(
    *, session: Session, query_id: str, outcome: str, answer: str, actor: str
) -> ClinicianQuery:
    """Answer an open query: `amended` or `declined`, with a short answer (audited).

    Raises NotFound for an unknown query; Conflict for an unknown outcome, an empty answer or
    a query already answered.
    """
    if outcome not in ANSWER_OUTCOMES:
        raise Conflict(f"unknown outcome {outcome!r}; use one of {', '.join(ANSWER_OUTCOMES)}")
    text = answer.strip()
    if not text:
        raise Conflict("an answer is required")
    query = get_query(session, query_id)
    if query.status != "open":
        raise Conflict(f"query {query_id} was already answered ({query.status})")
    encounter = get_encounter_row(session, query.encounter_id)
    query.status, query.answer, query.answered_by, query.answered_at = (
        outcome,
        text,
        actor,
        utcnow(),
    )
    session.add(query)
    _settle_suggestion(session, query, outcome, actor, encounter.patient_id)
    record_event(
        session,
        actor=actor,
        action="clinician_query.answer",
        patient_id=encounter.patient_id,
        encounter_id=query.encounter_id,
        subject=f"clinician_query/{query.id}",
        details={"outcome": outcome, "suggestion": query.suggestion_id},
    )
    return query


def list_queries(
    *,
    session: Session,
    actor: str,
    status: str | None = "open",
    encounter_scope: Any = None,
    limit: int = 200,
) -> list[ClinicianQuery]:
    """Queries, oldest first, optionally only those on `encounter_scope` (ids or a SELECT).

    One audit event for the read.
    """
    query = select(ClinicianQuery)
    if status:
        query = query.where(ClinicianQuery.status == status)
    if encounter_scope is not None:
        query = query.where(col(ClinicianQuery.encounter_id).in_(encounter_scope))
    rows: Sequence[ClinicianQuery] = session.exec(
        query.order_by(col(ClinicianQuery.asked_at), col(ClinicianQuery.id)).limit(limit)
    ).all()
    record_event(
        session,
        actor=actor,
        action="clinician_queries.read",
        details={"count": len(rows), "status": status, "scoped": encounter_scope is not None},
    )
    return list(rows)
