"""Consent scripts read to the patient before a visit is recorded (data files, versioned)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["ConsentScript", "consent_script", "current_consent_script"]

_VERSION = re.compile(r"^version: (\d+(?:\.\d+)*)\n\n", re.ASCII)


@dataclass(frozen=True)
class ConsentScript:
    """One version of the script; `sha256` is of its text as read out."""

    version: str
    text: str
    sha256: str


def _parse(name: str, raw: str) -> ConsentScript:
    match = _VERSION.match(raw)
    if match is None:
        raise ValueError(f"consent script {name}: must start with 'version: N' and a blank line")
    text = raw[match.end() :].strip()
    if not text:
        raise ValueError(f"consent script {name}: empty text")
    return ConsentScript(match.group(1), text, hashlib.sha256(text.encode()).hexdigest())


@lru_cache(maxsize=1)
def _scripts() -> dict[str, ConsentScript]:
    folder = resources.files(__package__) / "scripts"
    scripts: dict[str, ConsentScript] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".txt"):
            script = _parse(entry.name, entry.read_text(encoding="utf-8"))
            if script.version in scripts:
                raise ValueError(f"consent script version {script.version} is defined twice")
            scripts[script.version] = script
    if not scripts:
        raise ValueError("no consent script is installed")
    return scripts


def current_consent_script() -> ConsentScript:
    """The newest script (highest version): the one read to patients now."""
    scripts = _scripts()
    newest = max(scripts, key=lambda v: tuple(int(part) for part in v.split(".")))
    return scripts[newest]


def consent_script(version: str) -> ConsentScript | None:
    """A script by version (older ones stay valid for consents already recorded)."""
    return _scripts().get(version)
