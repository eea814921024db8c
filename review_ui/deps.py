"""FastAPI dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from scribe.settings import Settings


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _actor(request: Request) -> str:
    """Who is acting. Until accounts land, API callers are recorded by client address."""
    host = request.client.host if request.client else "unknown"
    return f"api:anonymous@{host}"


EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ActorDep = Annotated[str, Depends(_actor)]
