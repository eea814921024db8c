"""Consistent surrogates for one encounter, the mapping back, and per-patient date shifts.

A `SurrogateSession` is shared by every text of one encounter: the same person gets the same
invented name everywhere, and every date moves by the same number of days. Its mapping
(`mapping()` / `to_record()`) is meant to be stored server-side only; it is what lets an
authorised user, or the remote-LLM round trip, put the originals back.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
from dataclasses import dataclass
from typing import Any

_MAX_SHIFT_DAYS = 365
RECORD_VERSION = 1


@dataclass(frozen=True)
class MappingEntry:
    """One surrogate and the original it stands for (server-side only: contains PHI)."""

    surrogate: str
    original: str
    type: str

    def to_dict(self) -> dict[str, str]:
        """Row form for a database table."""
        return {"surrogate": self.surrogate, "original": self.original, "type": self.type}


def date_shift_for_patient(patient_key: str, *, secret: bytes) -> int:
    """A stable, secret-derived shift in days (never 0) for all dates of one patient."""
    digest = hmac.new(secret, patient_key.encode("utf-8"), hashlib.sha256).digest()
    magnitude = int.from_bytes(digest[:4], "big") % _MAX_SHIFT_DAYS + 1
    return magnitude if digest[4] % 2 else -magnitude


def _normalise(entity: str, original: str) -> str:
    if entity in {"PHONE", "SSN", "ZIP_CODE"}:
        digits = re.sub(r"\D", "", original)
        if digits:
            return digits
    return " ".join(original.lower().split())


class SurrogateSession:
    """Surrogate choices, the date shift and the reverse mapping for one encounter."""

    def __init__(self, *, date_shift_days: int | None = None, seed: int | None = None) -> None:
        self.rng = random.Random(seed if seed is not None else secrets.randbits(64))
        if date_shift_days is None:
            magnitude = self.rng.randint(1, _MAX_SHIFT_DAYS)
            date_shift_days = magnitude if self.rng.random() < 0.5 else -magnitude
        if date_shift_days == 0 or abs(date_shift_days) > 10 * _MAX_SHIFT_DAYS:
            raise ValueError("date_shift_days must be non-zero and within ten years")
        self.date_shift_days = date_shift_days
        self._forward: dict[tuple[str, str], str] = {}
        self._entries: list[MappingEntry] = []
        self._used: set[str] = set()
        self._counters: dict[str, int] = {}

    @classmethod
    def for_patient(
        cls, patient_key: str, *, secret: bytes, seed: int | None = None
    ) -> SurrogateSession:
        """A session whose date shift is derived from the patient, so encounters agree."""
        return cls(date_shift_days=date_shift_for_patient(patient_key, secret=secret), seed=seed)

    # --- lookups -------------------------------------------------------------------------------

    def known(self, entity: str, original: str) -> str | None:
        """The surrogate already chosen for this original, if any."""
        return self._forward.get((entity, _normalise(entity, original)))

    def is_used(self, surrogate: str) -> bool:
        """Whether a surrogate has been handed out already (for another original)."""
        return surrogate.lower() in self._used

    def remember(self, entity: str, original: str, surrogate: str) -> str:
        """Record a new surrogate for an original and return it."""
        self._forward[(entity, _normalise(entity, original))] = surrogate
        self._used.add(surrogate.lower())
        self._entries.append(MappingEntry(surrogate, original, entity))
        return surrogate

    def next_number(self, entity: str) -> int:
        """1, 2, 3... per entity, for numbered tags such as [DATE_2]."""
        self._counters[entity] = self._counters.get(entity, 0) + 1
        return self._counters[entity]

    # --- the mapping ---------------------------------------------------------------------------

    def mapping(self) -> list[MappingEntry]:
        """Every surrogate handed out so far with its original (contains PHI)."""
        return list(self._entries)

    def to_record(self) -> dict[str, Any]:
        """Plain data to store server-side (JSON-ready): date shift and mapping rows."""
        return {
            "version": RECORD_VERSION,
            "date_shift_days": self.date_shift_days,
            "counters": dict(self._counters),
            "mapping": [entry.to_dict() for entry in self._entries],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], *, seed: int | None = None) -> SurrogateSession:
        """Rebuild a session from `to_record()` output (e.g. to add texts or re-identify)."""
        if record.get("version") != RECORD_VERSION:
            raise ValueError(f"unknown surrogate record version {record.get('version')!r}")
        session = cls(date_shift_days=int(record["date_shift_days"]), seed=seed)
        session._counters = {str(k): int(v) for k, v in record.get("counters", {}).items()}
        for row in record["mapping"]:
            session.remember(str(row["type"]), str(row["original"]), str(row["surrogate"]))
        return session

    def reidentify(self, text: str) -> str:
        """Put the originals back in place of every surrogate found in `text`."""
        if not self._entries:
            return text
        back = {entry.surrogate.lower(): entry.original for entry in self._entries}
        pattern = re.compile(
            r"(?<![\w])(?:"
            + "|".join(re.escape(s) for s in sorted(back, key=len, reverse=True))
            + r")(?![\w])",
            re.IGNORECASE,
        )

        def restore(match: re.Match[str]) -> str:
            original = back[match.group().lower()]
            found = match.group()
            if found.isupper() and not original.isupper() and len(found) > 1:
                return original.upper()
            return original

        return pattern.sub(restore, text)
