"""Shared fixtures: each test gets its own migrated SQLite database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from scribe.db import make_engine, upgrade_database  # noqa: E402
from scribe.settings import Settings  # noqa: E402


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database for one test."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's own database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings pointing at the test's database and a private data directory."""
    return Settings(DATABASE_URL=database_url, data_dir=tmp_path / "data")
