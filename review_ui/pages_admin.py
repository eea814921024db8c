"""The admin's users page: create accounts, disable them (which ends their sessions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_ui import accounts
from review_ui.accounts import MAX_PASSWORD_LENGTH, AccountError
from review_ui.deps import EngineDep
from review_ui.policy import Admin, request_now
from review_ui.web import render
from scribe.db import transaction

router = APIRouter(prefix="/admin")


def _users_page(
    request: Request,
    engine: EngineDep,
    *,
    error: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with transaction(engine) as session:
        users = accounts.list_users(session)
    context = {
        "users": users,
        "roles": accounts.ROLES,
        "error": error,
        "notice": notice,
        "form": form or {},
    }
    return render(request, "admin_users.html", context, status_code=status)


@router.get("/users", include_in_schema=False)
def users_page(
    user: Admin, request: Request, engine: EngineDep, created: str = "", disabled: str = ""
) -> Response:
    """Every account with its role and state, and the form to create one."""
    notice = ""
    if created:
        notice = f"User {created[:64]} created."
    elif disabled:
        notice = f"User {disabled[:64]} disabled; their sessions have ended."
    return _users_page(request, engine, notice=notice)


@router.post("/users", include_in_schema=False)
def create_user(
    user: Admin,
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    password_again: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    display_name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Create an account from the form (the passwords must match)."""
    form = {"username": username, "role": role, "display_name": display_name}
    try:
        if password != password_again:
            raise AccountError("the two passwords differ")
        with transaction(engine) as session:
            created = accounts.create_user(
                session=session,
                username=username,
                role=role,
                password=password,
                display_name=display_name,
                actor=user.actor,
            )
    except AccountError as error:
        return _users_page(request, engine, error=str(error), form=form, status=422)
    return RedirectResponse(f"/admin/users?created={created.username}", status_code=303)


@router.post("/users/{username}/disable", include_in_schema=False)
def disable_user(user: Admin, username: str, request: Request, engine: EngineDep) -> Response:
    """Disable an account and end its sessions (not one's own: that would lock the admin out)."""
    if accounts.normalize_username(username) == user.username:
        return _users_page(
            request, engine, error="You cannot disable your own account.", status=422
        )
    with transaction(engine) as session:
        disabled = accounts.disable_user(
            session=session, username=username, actor=user.actor, now=request_now(request)
        )
    return RedirectResponse(f"/admin/users?disabled={disabled.username}", status_code=303)
