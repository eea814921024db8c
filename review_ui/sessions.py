"""Sign-in and server-side sessions: throttling, idle and absolute timeouts, sign-out.

The cookie carries a random token; only its sha256 is stored, so a copy of the database does not
hold usable sessions. Every sign-in, refusal and sign-out is written to the audit trail (never the
password). Unknown usernames, wrong passwords and disabled accounts get the same refusal and
spend the same argon2 time, so the answer does not tell which usernames exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, delete, func, select

from review_ui import accounts
from review_ui.tables import LoginAttempt, UserAccount, UserSession
from scribe.audit import record_event
from scribe.settings import Settings

__all__ = [
    "LoginResult",
    "Principal",
    "SessionLimits",
    "end_session",
    "login",
    "resolve_session",
    "token_digest",
]

# last_seen_at is refreshed at most this often, so reading pages does not write on every request.
TOUCH_INTERVAL = timedelta(seconds=30)
ATTEMPT_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class SessionLimits:
    """Timeouts and throttling thresholds (from the settings)."""

    idle: timedelta
    absolute: timedelta
    max_failures: int
    max_failures_per_client: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionLimits:
        """The limits configured in `settings`."""
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
            max_failures=settings.login_max_failures,
            max_failures_per_client=settings.login_max_failures_per_client,
            window=timedelta(minutes=settings.login_throttle_minutes),
        )


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    user_id: str
    username: str
    display_name: str
    role: str
    session_id: str
    csrf_token: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """How this user is named in the audit trail and on every attributed change."""
        return f"user:{self.username}"


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a sign-in: a principal and its cookie token, or a refusal."""

    principal: Principal | None = None
    token: str | None = None
    refusal: Literal["invalid", "throttled"] | None = None


def token_digest(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _principal(row: UserSession, user: UserAccount, limits: SessionLimits) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        session_id=row.id,
        csrf_token=row.csrf_token,
        expires_at=row.created_at + limits.absolute,
    )


def _count_failures(session: Session, *conditions: object) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(*conditions)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def _throttled(
    session: Session, username: str, client: str, now: datetime, limits: SessionLimits
) -> bool:
    since = now - limits.window
    last_success = session.exec(
        select(LoginAttempt.occurred_at)
        .where(LoginAttempt.username == username, col(LoginAttempt.succeeded).is_(True))
        .order_by(col(LoginAttempt.occurred_at).desc())
        .limit(1)
    ).first()
    user_since = max(since, last_success) if last_success else since
    not_ok = col(LoginAttempt.succeeded).is_(False)
    by_user = _count_failures(
        session, LoginAttempt.username == username, not_ok, LoginAttempt.occurred_at > user_since
    )
    if by_user >= limits.max_failures:
        return True
    by_client = _count_failures(
        session, LoginAttempt.client == client, not_ok, LoginAttempt.occurred_at > since
    )
    return by_client >= limits.max_failures_per_client


def _audit_refusal(
    session: Session, user: UserAccount | None, client: str, reason: str, outcome: str
) -> None:
    record_event(
        session,
        actor=f"client:{client}",
        action="auth.login",
        outcome=outcome,
        # Unknown usernames are not recorded: they are often a password typed in the wrong box.
        subject=f"user/{user.username}" if user else None,
        details={"reason": reason, "client": client},
    )


def _open_session(
    session: Session, user: UserAccount, client: str, now: datetime, limits: SessionLimits
) -> tuple[Principal, str]:
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_sha256=token_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=f"user:{user.username}",
        action="auth.login",
        subject=f"user/{user.username}",
        details={"client": client, "session": row.id},
    )
    return _principal(row, user, limits), token


def login(
    *,
    session: Session,
    username: str,
    password: str,
    client: str,
    now: datetime,
    limits: SessionLimits,
) -> LoginResult:
    """Check a username and password and open a session; refusals are recorded, not raised."""
    name = accounts.normalize_username(username)[:64]
    client = client[:64]
    expired = col(LoginAttempt.occurred_at) < now - ATTEMPT_RETENTION
    session.exec(delete(LoginAttempt).where(expired))
    user = accounts.get_user(session, name)
    if _throttled(session, name, client, now, limits):
        _audit_refusal(session, user, client, "throttled", "refused")
        return LoginResult(refusal="throttled")
    if user is None:
        accepted = accounts.verify_against_dummy(password)
    else:
        accepted = accounts.verify_password(user.password_hash, password) and not user.disabled
    session.add(LoginAttempt(username=name, client=client, succeeded=accepted, occurred_at=now))
    if user is None or not accepted:
        reason = "unknown_user" if user is None else "disabled" if user.disabled else "password"
        _audit_refusal(session, user, client, reason, "failure")
        return LoginResult(refusal="invalid")
    if accounts.needs_rehash(user.password_hash):
        user.password_hash = accounts.hash_password(password)
        session.add(user)
    principal, token = _open_session(session, user, client, now, limits)
    return LoginResult(principal=principal, token=token)


def reauthenticate(
    *,
    session: Session,
    username: str,
    password: str,
    client: str,
    now: datetime,
    limits: SessionLimits,
) -> Literal["ok", "invalid", "throttled"]:
    """Re-check a signed-in user's password (sign-off): same throttle and records as sign-in."""
    name = accounts.normalize_username(username)[:64]
    client = client[:64]
    if _throttled(session, name, client, now, limits):
        return "throttled"
    user = accounts.get_user(session, name)
    if user is None or user.disabled:
        accounts.verify_against_dummy(password)
        accepted = False
    else:
        accepted = accounts.verify_password(user.password_hash, password)
    session.add(LoginAttempt(username=name, client=client, succeeded=accepted, occurred_at=now))
    return "ok" if accepted else "invalid"


def _expire(
    session: Session, row: UserSession, user: UserAccount, reason: str, now: datetime
) -> None:
    row.ended_at = now
    row.end_reason = reason
    session.add(row)
    record_event(
        session,
        actor="system",
        action="auth.session_end",
        subject=f"user/{user.username}",
        details={"reason": reason, "session": row.id},
    )


def resolve_session(
    *, session: Session, token: str, now: datetime, limits: SessionLimits
) -> Principal | None:
    """The principal of a live session token; ends the session if it has timed out."""
    found = session.exec(
        select(UserSession, UserAccount)
        .join(UserAccount, col(UserAccount.id) == col(UserSession.user_id))
        .where(UserSession.token_sha256 == token_digest(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None:
        return None
    if user.disabled:
        _expire(session, row, user, "user_disabled", now)
        return None
    if now - row.last_seen_at >= limits.idle:
        _expire(session, row, user, "idle", now)
        return None
    if now - row.created_at >= limits.absolute:
        _expire(session, row, user, "absolute", now)
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
    return _principal(row, user, limits)


def end_session(*, session: Session, principal: Principal, now: datetime) -> None:
    """Sign out: end this session (audited as `auth.logout`)."""
    row = session.get(UserSession, principal.session_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    row.end_reason = "logout"
    session.add(row)
    record_event(
        session,
        actor=principal.actor,
        action="auth.logout",
        subject=f"user/{principal.username}",
        details={"session": row.id},
    )
