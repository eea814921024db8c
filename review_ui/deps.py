"""FastAPI dependency aliases shared by the routers."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from review_ui.policy import Principal, current_principal
from scribe.deid import PresidioDeidentifier
from scribe.settings import Settings


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _actor(principal: Annotated[Principal, Depends(current_principal)]) -> str:
    """Who is acting: the signed-in user, as recorded on every change and audit event.

    Needs a live session but is not an authorisation policy: each route still declares one
    (see review_ui.policy).
    """
    return principal.actor


_DEIDENTIFIER_LOCK = threading.Lock()


def _deidentifier(request: Request) -> PresidioDeidentifier:
    """The app's de-identifier, built on first use (Presidio and spaCy load once)."""
    state = request.app.state
    with _DEIDENTIFIER_LOCK:
        if getattr(state, "deidentifier", None) is None:
            from review_ui.composition import build_deidentifier, models_in_use

            state.deidentifier = build_deidentifier(models_in_use(state.settings))
    return state.deidentifier  # type: ignore[no-any-return]


EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ActorDep = Annotated[str, Depends(_actor)]
DeidentifierDep = Annotated[PresidioDeidentifier, Depends(_deidentifier)]
