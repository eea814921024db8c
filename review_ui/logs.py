"""Logging set-up for the CLI, server and worker: ids and counts only, never PHI."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Plain one-line log records on stderr at `level` (SCRIBE_LOG_LEVEL)."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
    )
    for noisy in ("faster_whisper", "httpx", "transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
