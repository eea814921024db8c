"""Authorisation: every route declares one policy saying who may call it.

A policy is a FastAPI dependency: `public` for the sign-in page, health check and static files,
otherwise a `RolePolicy` that requires a live session of one of its roles and returns the
`Principal`. `routes_without_policy` lists routes that declare none (a test keeps it empty).

Clinicians reach only the encounters assigned to them; to them any other encounter is "not
found". Coders read notes, transcripts, evidence and suggestions, never audio. Compliance reads
the audit trail. Admins manage accounts and may do everything else.

Every cookie-authenticated request with an unsafe method must carry the session's CSRF token (the
`X-CSRF-Token` header, or the `csrf_token` field of a form), whatever the route's policy.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount

from review_ui import accounts
from review_ui.sessions import Principal, SessionLimits, resolve_session
from review_ui.tables import ROLES
from scribe.audit import record_event
from scribe.db import transaction
from scribe.services import NotFound
from scribe.tables import utcnow

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Admin",
    "AnyUser",
    "AudioWriter",
    "AuditReader",
    "ClinicalWriter",
    "CoderQueue",
    "EncounterReader",
    "EncounterStaff",
    "Forbidden",
    "LoginRequired",
    "Policy",
    "Principal",
    "Public",
    "check_encounter_access",
    "current_principal",
    "optional_principal",
    "public",
    "request_now",
    "require_encounter_access",
    "require_roles",
    "route_policies",
    "routes_without_policy",
]

SESSION_COOKIE = "scribe_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Mounted apps (not FastAPI routes) that are public by declaration.
PUBLIC_MOUNTS = frozenset({"/static"})


class LoginRequired(Exception):
    """No live session: JSON callers get 401, browsers are sent to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but this policy does not allow it (or the CSRF token is missing or wrong)."""


def request_now(request: Request) -> Any:
    """Now, by the app's clock (tests replace `app.state.clock` instead of sleeping)."""
    clock = getattr(request.app.state, "clock", utcnow)
    return clock()


def _resolve(engine: Engine, token: str, now: Any, limits: SessionLimits) -> Principal | None:
    with transaction(engine) as session:
        return resolve_session(session=session, token=token, now=now, limits=limits)


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent: Any = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(FORM_TYPES):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(
        sent.encode("utf-8"), principal.csrf_token.encode("utf-8")
    ):
        raise Forbidden("CSRF token missing or invalid")


async def optional_principal(request: Request) -> Principal | None:
    """The signed-in user, if the request carries a live session cookie.

    On unsafe methods the session's CSRF token must be sent too, whichever route this is.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    limits = SessionLimits.from_settings(request.app.state.settings)
    principal = await run_in_threadpool(
        _resolve, request.app.state.engine, token, request_now(request), limits
    )
    if principal is not None and request.method in UNSAFE_METHODS:
        await _check_csrf(request, principal)
    request.state.principal = principal
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The signed-in user (401 without a live session). Not a policy on its own."""
    if principal is None:
        raise LoginRequired()
    return principal


def _audit_denied(engine: Engine, request: Request, principal: Principal, **fields: Any) -> None:
    route = getattr(request.scope.get("route"), "path", "(unmatched)")
    with transaction(engine) as session:
        record_event(
            session,
            actor=principal.actor,
            action="access.denied",
            outcome="refused",
            details={"method": request.method, "route": route, "role": principal.role},
            **fields,
        )


class Policy:
    """Base of the declared authorisation policies (what `routes_without_policy` looks for)."""

    name: str = ""

    def __repr__(self) -> str:
        return f"<policy {self.name}>"


class PublicPolicy(Policy):
    """Anyone, signed in or not."""

    name = "public"

    def __call__(self) -> None:
        return None


class RolePolicy(Policy):
    """A signed-in user of one of `roles`.

    With `own_encounter`, a clinician must also own the encounter named by the route's
    `{encounter_id}`. Without it (`EncounterStaff`), a route that reaches an encounter through
    another row must call `check_encounter_access` itself.
    """

    def __init__(
        self, roles: tuple[str, ...], *, own_encounter: bool = False, note: str = ""
    ) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.roles = frozenset(roles)
        self.own_encounter = own_encounter
        note = note or ("clinicians: own encounters" if own_encounter else "")
        self.name = "roles: " + ", ".join(r for r in ROLES if r in self.roles)
        self.name += f" ({note})" if note else ""

    async def __call__(
        self,
        request: Request,
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            raise LoginRequired()
        engine = request.app.state.engine
        if principal.role not in self.roles:
            await run_in_threadpool(_audit_denied, engine, request, principal)
            raise Forbidden(f"the {principal.role} role may not do this")
        if self.own_encounter:
            # Without an {encounter_id} in the path a clinician gets "not found" (fail closed).
            encounter_id = request.path_params.get("encounter_id")
            await run_in_threadpool(
                check_encounter_access, engine, principal, encounter_id, request=request
            )
        return principal


def check_encounter_access(
    engine: Engine,
    principal: Principal,
    encounter_id: str | None,
    *,
    request: Request | None = None,
    not_found: str | None = None,
) -> None:
    """Clinicians reach only their own encounters: to them any other one is not found (404).

    For routes that reach an encounter through another row (a job, a suggestion, an export):
    look the row up, then call this with its encounter before doing anything else.
    """
    if principal.role != "clinician":
        return
    with transaction(engine) as session:
        owner = accounts.encounter_owner(session, encounter_id) if encounter_id else None
    if owner == principal.username:
        return
    if request is not None:
        _audit_denied(engine, request, principal, encounter_id=encounter_id)
    raise NotFound(not_found or f"encounter {encounter_id} not found")


def require_roles(*roles: str, note: str = "") -> RolePolicy:
    """A policy for signed-in users of these roles (`note` says what the route checks itself)."""
    return RolePolicy(roles, note=note)


def require_encounter_access(*roles: str) -> RolePolicy:
    """A policy for these roles on `/encounters/{encounter_id}/...`, clinicians only their own."""
    return RolePolicy(roles, own_encounter=True)


public = PublicPolicy()
signed_in = require_roles(*ROLES)
encounter_reader = require_encounter_access("clinician", "coder", "admin")
audio_writer = require_encounter_access("clinician", "admin")
clinical_writer = require_roles("clinician", "admin")
encounter_staff = require_roles(
    "clinician", "coder", "admin", note="clinicians: own encounters, checked by the route"
)
coder_queue = require_roles("coder", "admin")
audit_reader = require_roles("compliance", "admin")
admin_only = require_roles("admin")

Public = Depends(public)
AnyUser = Annotated[Principal, Depends(signed_in)]
EncounterReader = Annotated[Principal, Depends(encounter_reader)]
AudioWriter = Annotated[Principal, Depends(audio_writer)]
ClinicalWriter = Annotated[Principal, Depends(clinical_writer)]
EncounterStaff = Annotated[Principal, Depends(encounter_staff)]
CoderQueue = Annotated[Principal, Depends(coder_queue)]
AuditReader = Annotated[Principal, Depends(audit_reader)]
Admin = Annotated[Principal, Depends(admin_only)]


def _policies(dependant: Dependant) -> Iterator[Policy]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Policy):
            yield sub.call
        yield from _policies(sub)


def route_policies(app: FastAPI) -> dict[str, list[str]]:
    """Each route ("METHODS /path") and the names of the policies it declares."""
    table: dict[str, list[str]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or getattr(route, "path", "?")
        if isinstance(route, APIRoute):
            dependant = getattr(context, "dependant", None) or route.dependant
            key = f"{','.join(sorted(context.methods or route.methods or ()))} {path}"
            table[key] = sorted({policy.name for policy in _policies(dependant)})
        elif isinstance(route, Mount):
            table[f"MOUNT {path}"] = ["public"] if path in PUBLIC_MOUNTS else []
        else:
            table[f"{type(route).__name__} {path}"] = []
    return table


def routes_without_policy(app: FastAPI) -> list[str]:
    """Routes that declare no policy, or more than one (each must say exactly who may call it)."""
    return [route for route, names in route_policies(app).items() if len(names) != 1]
