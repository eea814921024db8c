"""The web layer's part of the coder queue: which encounters a clinician filter means.

Encounter ownership lives in this package (`encounter_assignment`), so the coding package takes
a SELECT of encounter ids instead of knowing that table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from review_ui.accounts import normalize_username
from review_ui.tables import EncounterAssignment, UserAccount
from scribe.tables import Encounter

__all__ = ["clinician_choices", "clinician_scope", "owned_encounters"]


def owned_encounters(username: str) -> Any:
    """A SELECT of the ids of the encounters a clinician owns."""
    return select(EncounterAssignment.encounter_id).where(
        EncounterAssignment.clinician_username == username
    )


def clinician_scope(clinician: str) -> Any:
    """A SELECT of the encounters of a clinician: owned by that username, or recorded by name."""
    return select(Encounter.id).where(
        or_(
            col(Encounter.clinician) == clinician,
            col(Encounter.id).in_(owned_encounters(normalize_username(clinician))),
        )
    )


def clinician_choices(session: Session) -> list[tuple[str, str]]:
    """(username, display name) of every clinician account, for the queue's filter."""
    rows = session.exec(
        select(UserAccount.username, UserAccount.display_name)
        .where(UserAccount.role == "clinician")
        .order_by(col(UserAccount.username))
    ).all()
    return [(username, display or username) for username, display in rows]
