"""`scribe cleanup`: abandon stale tablet captures and delete orphaned chunk and temp files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from scribe.settings import Settings


def cmd_cleanup(args: argparse.Namespace, settings: Settings, _error: type[Exception]) -> int:
    """Run one cleanup pass and print what it removed."""
    from review_ui.app import migrate
    from scribe.capture import cleanup_orphans
    from scribe.db import make_engine
    from scribe.tables import utcnow

    hours = args.older_than_hours or settings.capture_orphan_hours
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        deleted = cleanup_orphans(
            engine=engine, settings=settings, older_than=utcnow() - timedelta(hours=hours)
        )
    finally:
        engine.dispose()
    sys.stdout.write(json.dumps({"files_deleted": deleted, "older_than_hours": hours}) + "\n")
    return 0


def add_cleanup_parser(commands: Any, bind: Callable[[Callable[..., int]], Any]) -> None:
    """Add `scribe cleanup [--older-than-hours H]`."""
    cleanup = commands.add_parser("cleanup", help="delete orphaned capture chunks and temp files")
    cleanup.add_argument(
        "--older-than-hours",
        type=float,
        default=None,
        help="age of what counts as orphaned (default SCRIBE_CAPTURE_ORPHAN_HOURS)",
    )
    cleanup.set_defaults(handler=bind(cmd_cleanup))
