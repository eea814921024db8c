"""Cut recognised words into segments at pauses and sentence ends.

Whisper's own segments follow its 30-second windows (the batched pipeline returns one segment per
window, and a prompt can make the sequential decoder do the same), so one segment often holds
both speakers. Speaker turns almost always start after a pause or a finished sentence, so
segments are rebuilt from the word timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TimedWord", "split_words"]

_SENTENCE_END = (".", "?", "!")


@dataclass(frozen=True)
class TimedWord:
    """A recognised word as the recogniser wrote it (leading space kept) with its timing."""

    text: str
    start: float
    end: float
    probability: float


def split_words(
    words: Sequence[TimedWord],
    *,
    pause_seconds: float = 0.3,
    sentence_pause_seconds: float = 0.1,
    max_seconds: float = 20.0,
) -> list[list[TimedWord]]:
    """Group consecutive words; a new group starts after a pause or a sentence end.

    A gap of `pause_seconds` always splits; a gap of `sentence_pause_seconds` splits after a
    word ending a sentence; a group longer than `max_seconds` splits at its next word boundary.
    """
    groups: list[list[TimedWord]] = []
    for word in words:
        if groups and not _starts_new(
            groups[-1], word, pause_seconds, sentence_pause_seconds, max_seconds
        ):
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def _starts_new(
    group: list[TimedWord],
    word: TimedWord,
    pause_seconds: float,
    sentence_pause_seconds: float,
    max_seconds: float,
) -> bool:
    previous = group[-1]
    gap = word.start - previous.end
    ends_sentence = previous.text.strip().endswith(_SENTENCE_END)
    too_long = word.end - group[0].start > max_seconds
    return gap >= pause_seconds or (ends_sentence and gap >= sentence_pause_seconds) or too_long
