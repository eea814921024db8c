"""Sign-in, sessions and CSRF over HTTP: timeouts on an injected clock, no sleeping."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui import accounts
from review_ui.app import create_app
from review_ui.policy import CSRF_HEADER, SESSION_COOKIE
from scribe.settings import Settings
from tests.review_ui.auth import PASSWORD, add_user, client_as, sign_in


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.state.clock = Clock()
    add_user(app, "dr.a", "clinician", display_name="Dr A")
    add_user(app, "ada", "admin")
    return app


def _rows(app: FastAPI, sql: str) -> list[dict[str, object]]:
    with app.state.engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(sql)).mappings()]


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/session", json={"username": username, "password": password})
    return response.status_code, response.json()


def test_sign_in_sets_a_hardened_cookie_and_stores_only_the_token_hash(app: FastAPI) -> None:
    client = TestClient(app)
    response = client.post("/api/session", json={"username": "DR.A", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "clinician" and response.json()["csrf_token"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    token = client.cookies[SESSION_COOKIE]
    stored = _rows(app, "SELECT * FROM user_session")
    assert stored[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(stored, default=str)


def test_the_secure_flag_is_configurable(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"session_cookie_secure": "always"}))
    add_user(app, "dr.a", "clinician")
    response = TestClient(app).post("/api/session", json={"username": "dr.a", "password": PASSWORD})
    assert "secure" in response.headers["set-cookie"].lower()


def test_an_idle_session_ends_after_15_minutes(app: FastAPI) -> None:
    client, clock = client_as(app, "dr.a"), app.state.clock
    for _ in range(3):  # activity keeps it alive
        clock.advance(minutes=14)
        assert client.get("/api/session").status_code == 200
    clock.advance(minutes=15)
    assert client.get("/api/session").status_code == 401
    clock.advance(minutes=-20)  # once ended, it stays ended
    assert client.get("/api/session").status_code == 401
    assert _rows(app, "SELECT end_reason FROM user_session") == [{"end_reason": "idle"}]


def test_a_session_ends_12_hours_after_sign_in_however_active(app: FastAPI) -> None:
    client, clock = client_as(app, "dr.a"), app.state.clock
    elapsed = timedelta()
    while elapsed + timedelta(minutes=10) < timedelta(hours=12):
        clock.advance(minutes=10)
        elapsed += timedelta(minutes=10)
        assert client.get("/api/session").status_code == 200, elapsed
    clock.advance(minutes=10)
    assert client.get("/api/session").status_code == 401
    assert _rows(app, "SELECT end_reason FROM user_session") == [{"end_reason": "absolute"}]


def test_logout_ends_the_session_on_the_server(app: FastAPI) -> None:
    client = client_as(app, "dr.a")
    token = client.cookies[SESSION_COOKIE]
    assert client.delete("/api/session").status_code == 204
    replay = TestClient(app)
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/api/session").status_code == 401
    assert client.get("/api/encounters/x").status_code == 401


def test_disabling_a_user_ends_their_sessions_and_refuses_sign_in(app: FastAPI) -> None:
    clinician, admin = client_as(app, "dr.a"), client_as(app, "ada")
    token = admin.headers.pop(CSRF_HEADER)  # this time from the form field, like a browser
    response = admin.post(
        "/admin/users/dr.a/disable", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert clinician.get("/api/session").status_code == 401
    assert _login(TestClient(app), "dr.a", PASSWORD)[0] == 401
    actions = {row["action"] for row in _rows(app, "SELECT action FROM audit_event")}
    assert "user.disable" in actions


def test_unsafe_requests_need_the_sessions_csrf_token(app: FastAPI) -> None:
    client = client_as(app, "dr.a")
    token = client.headers.pop(CSRF_HEADER)
    patient = {"birth_date": "1950-01-01", "sex": "F"}
    assert client.post("/api/patients", json=patient).status_code == 403
    wrong = {CSRF_HEADER: client_as(app, "ada").headers[CSRF_HEADER]}  # another session's
    assert client.post("/api/patients", json=patient, headers=wrong).status_code == 403
    assert client.delete("/api/session").status_code == 403
    assert _rows(app, "SELECT id FROM patient") == []
    response = client.post("/api/patients", json=patient, headers={CSRF_HEADER: token})
    assert response.status_code == 201
    assert client.get("/api/session").status_code == 200  # safe methods need none


def test_admin_forms_without_the_token_are_refused(app: FastAPI) -> None:
    admin = client_as(app, "ada")
    admin.headers.pop(CSRF_HEADER)
    form = {
        "username": "coder.kim",
        "role": "coder",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    assert admin.post("/admin/users", data=form).status_code == 403
    assert len(_rows(app, "SELECT id FROM user_account")) == 2


def _login_form_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_the_sign_in_form_is_csrf_protected_and_redirects_only_on_site(app: FastAPI) -> None:
    client = TestClient(app)
    token = _login_form_token(client)
    form = {"username": "dr.a", "password": PASSWORD, "next": "/admin/users"}
    forged = client.post("/login", data={**form, "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 400 and SESSION_COOKIE not in client.cookies
    assert f'value="{token}"' not in forged.text  # a fresh form, with a fresh token
    token = _login_form_token(client)
    ok = client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/users"
    assert client.get("/api/session").json()["username"] == "dr.a"
    other = TestClient(app)
    token = _login_form_token(other)
    offsite = {**form, "next": "//evil.example/x", "csrf_token": token}
    assert other.post("/login", data=offsite, follow_redirects=False).headers["location"] == "/"


def test_pages_send_browsers_to_sign_in(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/admin/users", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/admin/users"
    assert client.get("/api/session").status_code == 401


def test_five_failures_throttle_the_username_for_15_minutes(app: FastAPI) -> None:
    client, clock = TestClient(app), app.state.clock
    for _ in range(5):
        assert _login(client, "dr.a", "wrong password!")[0] == 401
    status, body = _login(client, "dr.a", PASSWORD)
    assert status == 429 and "Too many" in body["detail"]  # even with the right password
    assert _login(client, "ada", PASSWORD)[0] == 200  # other accounts are unaffected
    clock.advance(minutes=16)
    assert _login(client, "dr.a", PASSWORD)[0] == 200


def test_failures_throttle_the_client_address_across_usernames(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"login_max_failures_per_client": 3}))
    add_user(app, "dr.a", "clinician")
    client = TestClient(app)
    for name in ("x1", "x2", "x3"):
        assert _login(client, name, "guess guess guess")[0] == 401
    assert _login(client, "dr.a", PASSWORD)[0] == 429


def test_unknown_users_and_wrong_passwords_look_the_same(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = accounts.verify_password

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    client = TestClient(app)
    add_user(app, "dr.gone", "clinician")
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE user_account SET disabled = 1 WHERE username='dr.gone'"))
    answers = [
        _login(client, "nobody", "some password!"),
        _login(client, "dr.a", "some password!"),
        _login(client, "dr.gone", PASSWORD),
    ]
    assert answers[0] == answers[1] == answers[2] == (401, {"detail": answers[0][1]["detail"]})
    assert len(verified) == 3  # an argon2 verification each time, so timing is alike too


def test_sign_ins_are_audited_without_passwords(app: FastAPI) -> None:
    client = TestClient(app)
    _login(client, "dr.a", "Wrong-Password-123")
    _login(client, "typed-a-secret", "whatever goes")
    sign_in(client, "dr.a")
    client.delete("/api/session")
    events = _rows(app, "SELECT actor, action, outcome, subject, details FROM audit_event")
    auth = [(e["action"], e["outcome"], e["subject"]) for e in events if "auth" in e["action"]]
    assert auth == [
        ("auth.login", "failure", "user/dr.a"),
        ("auth.login", "failure", None),
        ("auth.login", "success", "user/dr.a"),
        ("auth.logout", "success", "user/dr.a"),
    ]
    dumped = json.dumps(events)
    for secret in ("Wrong-Password-123", PASSWORD, "typed-a-secret", "whatever goes"):
        assert secret not in dumped
    assert events[-1]["actor"] == "user:dr.a"


def test_the_admin_page_creates_users(app: FastAPI) -> None:
    admin = client_as(app, "ada")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "dr.a" in page.text and "csrf_token" in page.text
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in (page.headers["content-security-policy"])
    )
    form = {
        "username": "coder.kim",
        "display_name": "Kim <b>Coder</b>",
        "role": "coder",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    created = admin.post("/admin/users", data=form)
    assert created.status_code == 200 and "User coder.kim created." in created.text
    assert "Kim &lt;b&gt;Coder&lt;/b&gt;" in created.text  # escaped
    mismatch = admin.post("/admin/users", data={**form, "username": "x.y", "password_again": "z"})
    assert mismatch.status_code == 422 and "differ" in mismatch.text
    assert sign_in(TestClient(app), "coder.kim")["role"] == "coder"
    own = admin.post("/admin/users/ada/disable")
    assert own.status_code == 422
