"""Alembic migrations of the coding tables (applied after the core's, by the composition root)."""

from importlib import resources
from pathlib import Path


def versions_dir() -> str:
    """Folder of the coding package's migration scripts."""
    return str(Path(str(resources.files("coding"))) / "migrations" / "versions")
