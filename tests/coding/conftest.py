"""Shared fixtures for the coding tests: one real engine per test session (spaCy loads once)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from coding.rulebook import RuleSet, load_rules
from coding.suggest import MedspacySuggester

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "coding"
DOS = date(2026, 3, 15)


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The packaged rule set."""
    return load_rules()


@pytest.fixture(scope="session")
def engine(rules: RuleSet) -> MedspacySuggester:
    """The real medspaCy engine on the bundled en_core_web_sm, built once."""
    return MedspacySuggester(rules=rules)
