"""Signing test clients in: accounts are made with the service functions, sessions via the API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from review_ui import accounts
from review_ui.policy import CSRF_HEADER
from scribe.db import transaction

PASSWORD = "correct horse battery staple"


def add_user(
    app: FastAPI, username: str, role: str, *, password: str = PASSWORD, display_name: str = ""
) -> None:
    """Create an account in the app's database (audited as made by `test`)."""
    with transaction(app.state.engine) as session:
        accounts.create_user(
            session=session,
            username=username,
            role=role,
            password=password,
            display_name=display_name,
            actor="test",
        )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in through POST /api/session; later unsafe calls carry the CSRF header."""
    response = client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    client.headers[CSRF_HEADER] = body["csrf_token"]
    return body


def client_as(app: FastAPI, username: str, role: str | None = None) -> TestClient:
    """A client signed in as `username` (created first with `role` when given)."""
    if role is not None:
        add_user(app, username, role)
    client = TestClient(app)
    sign_in(client, username)
    return client
