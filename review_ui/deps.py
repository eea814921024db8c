"""FastAPI dependency aliases shared by the routers."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from scribe.deid import PresidioDeidentifier
from scribe.settings import Settings


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _actor(request: Request) -> str:
    """Who is acting. Until accounts land, API callers are recorded by client address."""
    host = request.client.host if request.client else "unknown"
    return f"api:anonymous@{host}"


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
