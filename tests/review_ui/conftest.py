"""Fixtures for the web service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from review_ui import accounts

# Real argon2id, with cheaper parameters than production so dozens of sign-ins stay fast.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Swap in the cheaper hasher for the test (the production one is checked separately)."""
    monkeypatch.setattr(accounts, "_hasher", lambda: _FAST_HASHER)
    yield
