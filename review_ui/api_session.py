"""JSON sign-in for programmatic clients: POST /api/session sets the cookie, returns the CSRF token.

A JSON body cannot be sent cross-site without a CORS preflight (which this service never
grants), so the sign-in call itself needs no CSRF token; every later unsafe call does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from review_ui.accounts import MAX_PASSWORD_LENGTH
from review_ui.deps import EngineDep
from review_ui.policy import AnyUser, Principal, Public, request_now
from review_ui.sessions import LoginResult, SessionLimits, end_session, login
from review_ui.web import clear_session_cookie, set_session_cookie
from scribe.db import transaction

router = APIRouter(prefix="/api")

INVALID = "Invalid username or password."
THROTTLED = "Too many failed sign-in attempts. Try again later."


class SessionCreate(BaseModel):
    """Credentials for signing in."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class SessionPublic(BaseModel):
    """The signed-in user and the token unsafe requests must send as X-CSRF-Token."""

    username: str
    display_name: str
    role: str
    csrf_token: str
    expires_at: datetime
    idle_timeout_seconds: int


def session_public(principal: Principal, request: Request) -> SessionPublic:
    """The API shape of a signed-in session."""
    return SessionPublic(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        csrf_token=principal.csrf_token,
        expires_at=principal.expires_at,
        idle_timeout_seconds=int(request.app.state.settings.session_idle_minutes * 60),
    )


async def sign_in(request: Request, engine: Any, username: str, password: str) -> LoginResult:
    """Run a sign-in attempt off the event loop (argon2 takes tens of milliseconds)."""
    limits = SessionLimits.from_settings(request.app.state.settings)
    client = request.client.host if request.client else "unknown"
    now = request_now(request)

    def attempt() -> LoginResult:
        with transaction(engine) as session:
            return login(
                session=session,
                username=username,
                password=password,
                client=client,
                now=now,
                limits=limits,
            )

    return await run_in_threadpool(attempt)


@router.post(
    "/session",
    response_model=SessionPublic,
    dependencies=[Public],
    responses={401: {}, 429: {}},
)
async def create_session(body: SessionCreate, request: Request, engine: EngineDep) -> Any:
    """Sign in with a username and password; sets the session cookie."""
    result = await sign_in(request, engine, body.username, body.password)
    if result.refusal == "throttled":
        return JSONResponse({"detail": THROTTLED}, status_code=429)
    if result.principal is None or result.token is None:
        return JSONResponse({"detail": INVALID}, status_code=401)
    payload = session_public(result.principal, request).model_dump(mode="json")
    response = JSONResponse(payload)
    set_session_cookie(response, request, result.token)
    return response


@router.get("/session", response_model=SessionPublic)
def read_session(user: AnyUser, request: Request) -> Any:
    """Who is signed in, and the CSRF token for unsafe requests."""
    return session_public(user, request)


@router.delete("/session", status_code=204)
def delete_session(user: AnyUser, request: Request, engine: EngineDep) -> Response:
    """Sign out: the session ends on the server and the cookie is cleared."""
    with transaction(engine) as session:
        end_session(session=session, principal=user, now=request_now(request))
    response = Response(status_code=204)
    clear_session_cookie(response, request)
    return response
