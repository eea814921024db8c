"""Alembic migrations of the web service's tables (accounts, sessions), applied by `migrate`."""

from importlib import resources
from pathlib import Path


def versions_dir() -> str:
    """Folder of the review_ui package's migration scripts."""
    return str(Path(str(resources.files("review_ui"))) / "migrations" / "versions")
