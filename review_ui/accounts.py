"""User accounts: argon2 password hashes, creating, listing and disabling users (all audited).

Service functions are keyword-only and run in the caller's transaction, so the account change and
its audit event commit together. Passwords never reach the audit trail or the logs.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from review_ui.tables import ROLES, EncounterAssignment, UserAccount, UserSession
from scribe.audit import record_event
from scribe.services import NotFound
from scribe.tables import Encounter, utcnow

__all__ = [
    "ROLES",
    "AccountError",
    "assign_encounter",
    "create_user",
    "disable_user",
    "encounter_owner",
    "get_user",
    "hash_password",
    "list_users",
    "normalize_username",
    "set_password",
    "verify_password",
]

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """Account data that cannot be accepted; the message is safe to show to the operator."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106 low-memory profile)."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password (salted; the salt and parameters are in the string)."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def verify_against_dummy(password: str) -> bool:
    """Spend the time of a real verification (for unknown users); always False."""
    verify_password(_dummy_hash(), password)
    return False


def normalize_username(raw: str) -> str:
    """Usernames are compared case-insensitively, without surrounding spaces."""
    return raw.strip().lower()


def _validate_new_user(username: str, role: str, password: str, display_name: str) -> None:
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "username must be 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(display_name) > 128:
        raise AccountError("display name must be at most 128 characters")
    validate_password(password)


def validate_password(password: str) -> None:
    """Refuse passwords that are too short or too long (length is what matters most)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


def get_user(session: Session, username: str) -> UserAccount | None:
    """The account with this username, if any."""
    name = normalize_username(username)
    return session.exec(select(UserAccount).where(UserAccount.username == name)).first()


def list_users(session: Session) -> list[UserAccount]:
    """Every account, ordered by username."""
    return list(session.exec(select(UserAccount).order_by(col(UserAccount.username))).all())


def create_user(
    *,
    session: Session,
    username: str,
    role: str,
    password: str,
    actor: str,
    display_name: str = "",
) -> UserAccount:
    """Create an account (audited as `user.create`; the password is stored only as its hash)."""
    name = normalize_username(username)
    display_name = display_name.strip()
    _validate_new_user(name, role, password, display_name)
    if get_user(session, name) is not None:
        raise AccountError(f"user {name} already exists")
    user = UserAccount(
        username=name,
        display_name=display_name or name,
        role=role,
        password_hash=hash_password(password),
        created_by=actor,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.create",
        subject=f"user/{name}",
        details={"role": role},
    )
    return user


def _require_user(session: Session, username: str) -> UserAccount:
    user = get_user(session, username)
    if user is None:
        raise NotFound(f"user {normalize_username(username)} not found")
    return user


def end_user_sessions(
    *, session: Session, user_id: str, reason: str, now: datetime | None = None
) -> int:
    """End every open session of a user; returns how many were ended."""
    rows = session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id, col(UserSession.ended_at).is_(None)
        )
    ).all()
    for row in rows:
        row.ended_at = now or utcnow()
        row.end_reason = reason
        session.add(row)
    session.flush()
    return len(rows)


def disable_user(
    *, session: Session, username: str, actor: str, now: datetime | None = None
) -> UserAccount:
    """Disable an account and end all its sessions at once (audited as `user.disable`)."""
    user = _require_user(session, username)
    now = now or utcnow()
    ended = end_user_sessions(session=session, user_id=user.id, reason="user_disabled", now=now)
    if not user.disabled:
        user.disabled = True
        user.disabled_at = now
        session.add(user)
    record_event(
        session,
        actor=actor,
        action="user.disable",
        subject=f"user/{user.username}",
        details={"sessions_ended": ended},
    )
    return user


def set_password(
    *, session: Session, username: str, password: str, actor: str, enable: bool = False
) -> UserAccount:
    """Replace a password and end the user's sessions (audited as `user.password_set`)."""
    user = _require_user(session, username)
    validate_password(password)
    user.password_hash = hash_password(password)
    if enable:
        user.disabled = False
        user.disabled_at = None
    session.add(user)
    ended = end_user_sessions(session=session, user_id=user.id, reason="password_changed")
    record_event(
        session,
        actor=actor,
        action="user.password_set",
        subject=f"user/{user.username}",
        details={"sessions_ended": ended, "enabled": user.disabled is False},
    )
    return user


def assign_encounter(
    *, session: Session, encounter_id: str, clinician_username: str, actor: str
) -> EncounterAssignment:
    """Make a clinician the owner of an encounter (audited as `encounter.assign`)."""
    user = _require_user(session, clinician_username)
    if user.role != "clinician":
        raise AccountError(f"user {user.username} is not a clinician")
    encounter = session.get(Encounter, encounter_id)
    if encounter is None:
        raise NotFound(f"encounter {encounter_id} not found")
    assignment = session.get(EncounterAssignment, encounter_id) or EncounterAssignment(
        encounter_id=encounter_id, clinician_username=user.username
    )
    assignment.clinician_username = user.username
    assignment.assigned_by = actor
    assignment.assigned_at = utcnow()
    session.add(assignment)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="encounter.assign",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"user/{user.username}",
    )
    return assignment


def encounter_owner(session: Session, encounter_id: str) -> str | None:
    """Username of the clinician who owns an encounter, if it is assigned."""
    assignment = session.get(EncounterAssignment, encounter_id)
    return assignment.clinician_username if assignment else None
