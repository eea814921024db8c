"""Logging set-up for the CLI, server and worker: ids and counts only, PHI scrubbed too."""

from __future__ import annotations

import logging

from scribe.deid import PhiLogFilter

NOISY_LOGGERS = (
    "faster_whisper",
    "httpx",
    "transformers",
    "urllib3",
    "alembic",
    "presidio-analyzer",
)


def configure_logging(level: str = "INFO") -> None:
    """One-line records on stderr at `level`; every handler scrubs PHI from every record.

    Code logs ids and counts only; the filter is the safety net for what slips through
    (an exception message quoting input, a library logging a value).
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
        )
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(item, PhiLogFilter) for item in handler.filters):
            handler.addFilter(PhiLogFilter())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
