"""The shipped synthetic sample visit: audio, its script, reference timing and a patient record.

The dialogue is invented (no real patient) and rendered with espeak-ng by
`scripts/render_sample_visit.sh`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = [
    "sample_patient_path",
    "sample_script_text",
    "sample_segments_path",
    "sample_visit_path",
]


def _file(name: str) -> Path:
    # The package is installed as a directory (never zipped), so its files are real paths.
    return Path(str(resources.files(__name__).joinpath(name)))


def sample_visit_path() -> Path:
    """The sample visit recording (Ogg/Opus, mono 16 kHz, about 85 s)."""
    return _file("sample_visit.opus")


def sample_script_text() -> str:
    """The script the sample was rendered from: lines `clinician: ...` / `patient: ...`."""
    return _file("sample_visit_script.txt").read_text(encoding="utf-8")


def sample_patient_path() -> Path:
    """Patient context for the sample visit (the JSON `PatientContext` reads)."""
    return _file("sample_patient.json")


def sample_segments_path() -> Path:
    """Reference timing and speaker of every turn of the sample recording."""
    return _file("sample_visit_segments.json")
