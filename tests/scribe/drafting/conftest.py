"""Fixtures for the drafting tests: the real bundled models, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import ResolvedModel, resolve
from scribe.drafting import ClinicalNlp, FaithfulnessChecker, GroundedNoteDrafter, SentenceEmbedder


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache directory for unpacked bundled models."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def spacy_model(model_cache: Path) -> ResolvedModel:
    """The bundled en_core_web_sm."""
    return resolve("bundled:en-core-web-sm", setting="SCRIBE_SPACY_MODEL", cache_dir=model_cache)


@pytest.fixture(scope="session")
def clinical_nlp(spacy_model: ResolvedModel) -> ClinicalNlp:
    """spaCy + medspaCy ConText, shared by the session."""
    return ClinicalNlp(spacy_model.path, sha256=spacy_model.sha256)


@pytest.fixture(scope="session")
def checker(clinical_nlp: ClinicalNlp) -> FaithfulnessChecker:
    """The faithfulness checker on the real clinical NLP."""
    return FaithfulnessChecker(clinical_nlp)


@pytest.fixture(scope="session")
def grounded(spacy_model: ResolvedModel, checker: FaithfulnessChecker) -> GroundedNoteDrafter:
    """The grounded drafter (shares the session's clinical NLP through the checker)."""
    return GroundedNoteDrafter(
        spacy_model.path, spacy_model_sha256=spacy_model.sha256, checker=checker
    )


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> SentenceEmbedder:
    """The bundled all-MiniLM-L6-v2 sentence embedder."""
    model = resolve(
        "bundled:all-minilm-l6-v2", setting="SCRIBE_EMBEDDING_MODEL", cache_dir=model_cache
    )
    return SentenceEmbedder(model.path, sha256=model.sha256)
