"""Shared fixtures: one real de-identifier per test session (bundled en_core_web_sm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import resolve
from scribe.deid.engine import PresidioDeidentifier

DATA = Path(__file__).resolve().parents[2] / "data" / "deid"


@pytest.fixture(scope="session")
def deidentifier(tmp_path_factory: pytest.TempPathFactory) -> PresidioDeidentifier:
    """The configured de-identifier on the packaged spaCy model (built once)."""
    model = resolve(
        "bundled:en-core-web-sm",
        setting="SCRIBE_SPACY_MODEL",
        cache_dir=tmp_path_factory.mktemp("model-cache"),
    )
    return PresidioDeidentifier(model.path, spacy_model_sha256=model.sha256)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data/deid."""
    return DATA
