"""Lay a note or a transcript out as one text for the NLP, and map offsets back to its units.

Units are what evidence points at: a transcript segment (ref = segment id), a Draft note
sentence (ref = sentence id), or the whole plain-text note (ref = "note").
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

from scribe.contracts import Draft, Transcript

UnitSource = Literal["note_sentence", "transcript_segment"]


@dataclass(frozen=True)
class Unit:
    """One piece of the laid-out text and where it starts in it."""

    source: UnitSource
    ref: str
    offset: int
    text: str


@dataclass(frozen=True)
class Layout:
    """The laid-out text and its units in order."""

    kind: Literal["note", "transcript"]
    text: str
    units: tuple[Unit, ...]

    def locate(self, start: int, end: int) -> tuple[Unit, int, int]:
        """The unit holding `start` and the span's offsets inside that unit's text."""
        offsets = [unit.offset for unit in self.units]
        index = max(bisect_right(offsets, start) - 1, 0)
        unit = self.units[index]
        local_start = max(start - unit.offset, 0)
        local_end = min(end - unit.offset, len(unit.text))
        return unit, local_start, max(local_end, local_start)


def note_layout(note: str | Draft) -> Layout:
    """Lay out a note: plain text as it is; a Draft as headed sections, one sentence a line."""
    if isinstance(note, str):
        return Layout("note", note, (Unit("note_sentence", "note", 0, note),))
    parts: list[str] = []
    units: list[Unit] = []
    position = 0
    for section in note.sections:
        if not section.sentences:
            continue
        header = f"{section.title.upper()}:\n"
        parts.append(header)
        position += len(header)
        for sentence in section.sentences:
            text = _one_line(sentence.text)
            units.append(Unit("note_sentence", sentence.id, position, text))
            parts.append(text + "\n")
            position += len(text) + 1
        parts.append("\n")
        position += 1
    return Layout("note", "".join(parts), tuple(units))


def transcript_layout(transcript: Transcript) -> Layout:
    """Lay out a transcript one segment a line."""
    parts: list[str] = []
    units: list[Unit] = []
    position = 0
    for segment in transcript.segments:
        text = _one_line(segment.text)
        units.append(Unit("transcript_segment", str(segment.id), position, text))
        parts.append(text + "\n")
        position += len(text) + 1
    return Layout("transcript", "".join(parts), tuple(units))


def _one_line(text: str) -> str:
    """Same-length text without line breaks, so offsets inside a unit stay valid."""
    return text.replace("\r", " ").replace("\n", " ")
