"""Sign-in and sign-out pages, and the home page each role lands on."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.accounts import MAX_PASSWORD_LENGTH
from review_ui.api_session import INVALID, THROTTLED, sign_in
from review_ui.deps import EngineDep
from review_ui.policy import AnyUser, Principal, Public, optional_principal, request_now
from review_ui.sessions import end_session
from review_ui.web import (
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    render,
    set_login_csrf_cookie,
    set_session_cookie,
)
from scribe.db import transaction

router = APIRouter()

EXPIRED_FORM = "The sign-in form expired. Please try again."


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (never another host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_page(
    request: Request, *, next_path: str, error: str = "", username: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)  # double-submit: in the form and in a cookie
    context = {"next": next_path, "error": error, "username": username, "login_csrf": token}
    response = render(request, "login.html", context, status_code=status)
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login", dependencies=[Public], include_in_schema=False)
def login_page(
    request: Request,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    next: str = "/",  # noqa: A002 - the query parameter's name
) -> Response:
    """The sign-in form (signed-in users go straight on)."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", dependencies=[Public], include_in_schema=False)
async def login_submit(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",  # noqa: A002 - the form field's name
) -> Response:
    """Check the credentials; on success set the session cookie and go on."""
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(request, next_path=target, error=EXPIRED_FORM, status=400)
    result = await sign_in(request, engine, username, password)
    if result.token is None:
        throttled = result.refusal == "throttled"
        return _login_page(
            request,
            next_path=target,
            error=THROTTLED if throttled else INVALID,
            username=username[:64],
            status=429 if throttled else 401,
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, result.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(user: AnyUser, request: Request, engine: EngineDep) -> Response:
    """Sign out (the form carries the CSRF token) and return to the sign-in page."""
    with transaction(engine) as session:
        end_session(session=session, principal=user, now=request_now(request))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/", include_in_schema=False)
def home(user: AnyUser, request: Request) -> Response:
    """What the signed-in user can do, by role."""
    return render(request, "home.html", {"role": user.role})
