"""De-identification: PHI detection (Presidio + project rules), operators, surrogates, log filter.

Heavy modules (Presidio, spaCy) load on first use of the names that need them, so importing the
log filter stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from scribe.deid.errors import DeidConfigError, DeidInputError
from scribe.deid.logfilter import LogScrubber, PhiLogFilter
from scribe.deid.spans import PhiSpan
from scribe.deid.surrogates import MappingEntry, SurrogateSession, date_shift_for_patient

_LAZY = {
    "PresidioDeidentifier": "scribe.deid.engine",
    "DeidResult": "scribe.deid.engine",
    "build_deidentifier": "scribe.deid.factory",
    "export_encounter": "scribe.deid.export",
    "EncounterExport": "scribe.deid.export",
    "RemoteRoundTrip": "scribe.deid.remote",
    "deid_report": "scribe.deid.report",
    "read_input_file": "scribe.deid.report",
    "evaluate_deid": "scribe.deid.evaluation",
    "OPERATORS": "scribe.deid.operators",
}

__all__ = [
    "DeidConfigError",
    "DeidInputError",
    "DeidResult",
    "EncounterExport",
    "LogScrubber",
    "MappingEntry",
    "OPERATORS",
    "PhiLogFilter",
    "PhiSpan",
    "PresidioDeidentifier",
    "RemoteRoundTrip",
    "SurrogateSession",
    "build_deidentifier",
    "date_shift_for_patient",
    "deid_report",
    "evaluate_deid",
    "export_encounter",
    "read_input_file",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scribe.deid' has no attribute {name!r}")
    return getattr(import_module(module), name)
