"""What the web service stores: user accounts, their sessions, sign-in attempts, assignments."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from scribe.tables import new_id, utcnow

ROLES = ("clinician", "coder", "compliance", "admin")


class UserAccount(SQLModel, table=True):
    """A person who signs in: one role, an argon2 password hash, and a disabled flag."""

    __tablename__ = "user_account"

    id: str = Field(default_factory=new_id, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=128)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=128)
    disabled_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A server-side session. Only the sha256 of its cookie token is stored."""

    __tablename__ = "user_session"

    id: str = Field(default_factory=new_id, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    user_id: str = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=32)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept for throttling (by submitted username and by client address)."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    client: str = Field(max_length=64, index=True)
    succeeded: bool = False
    occurred_at: datetime = Field(default_factory=utcnow, index=True)


class EncounterAssignment(SQLModel, table=True):
    """The clinician who owns an encounter (clinicians see only the encounters they own)."""

    __tablename__ = "encounter_assignment"

    encounter_id: str = Field(foreign_key="encounter.id", primary_key=True)
    clinician_username: str = Field(foreign_key="user_account.username", max_length=64, index=True)
    assigned_at: datetime = Field(default_factory=utcnow)
    assigned_by: str = Field(default="", max_length=128)
