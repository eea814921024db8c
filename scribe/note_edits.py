"""How a clinician's edit becomes the sentences of a new note version.

Edited sentences are matched to the base version's: by id when the text is unchanged, else by
identical text. A matched sentence is kept as it was (evidence links, faithfulness verdict,
author); anything else is a clinician-authored sentence without transcript evidence, keeping the
id it was sent with when that id belongs to a base sentence not used yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scribe.contracts import SECTION_TITLES, NoteSection, NoteSentence
from scribe.schemas import NoteSectionUpdate
from scribe.tables import NoteDraftRecord

__all__ = ["InvalidEdit", "edited_sections", "is_replay", "same_text"]


class InvalidEdit(ValueError):
    """An edit or sign-off request that is malformed (unknown section, empty text)."""


def _normalise(text: str) -> str:
    return " ".join(text.split())


class _SentenceMatcher:
    """Matches edited sentences to the base version's: by id, then by identical text."""

    def __init__(self, base_sections: list[dict[str, Any]]) -> None:
        self._by_id: dict[str, NoteSentence] = {}
        for section in base_sections:
            for raw in section.get("sentences", []):
                sentence = NoteSentence.model_validate(raw)
                self._by_id[sentence.id] = sentence
        self._used: set[str] = set()
        self._counter = 0
        self.edited = 0

    def _fresh_id(self, key: str) -> str:
        while True:
            self._counter += 1
            candidate = f"{key}-c{self._counter}"
            if candidate not in self._by_id and candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def _unchanged(self, text: str, wanted_id: str | None) -> NoteSentence | None:
        if wanted_id and wanted_id in self._by_id and wanted_id not in self._used:
            candidate = self._by_id[wanted_id]
            return candidate if _normalise(candidate.text) == text else None
        for sentence_id, sentence in self._by_id.items():
            if sentence_id not in self._used and _normalise(sentence.text) == text:
                return sentence
        return None

    def sentence(self, key: str, text: str, wanted_id: str | None) -> NoteSentence:
        """The stored sentence for one edited sentence (kept, or new and clinician-authored)."""
        text = _normalise(text)
        if not text:
            raise InvalidEdit(f"a sentence in section {key!r} is empty")
        kept = self._unchanged(text, wanted_id)
        if kept is not None:
            self._used.add(kept.id)
            return kept
        self.edited += 1
        reuse = wanted_id in self._by_id and wanted_id not in self._used
        sentence_id = wanted_id if reuse and wanted_id else self._fresh_id(key)
        self._used.add(sentence_id)
        return NoteSentence(id=sentence_id, text=text, author="clinician")

    def removed(self) -> int:
        """How many base sentences the edit dropped."""
        return len(set(self._by_id) - self._used)


def edited_sections(
    base: NoteDraftRecord, sections: Sequence[NoteSectionUpdate]
) -> tuple[list[NoteSection], int]:
    """The new version's sections and how many sentences changed, were added or removed."""
    matcher = _SentenceMatcher(base.sections)
    seen: set[str] = set()
    result = []
    for section in sections:
        if section.key not in SECTION_TITLES:
            raise InvalidEdit(f"unknown section {section.key!r}")
        if section.key in seen:
            raise InvalidEdit(f"section {section.key!r} appears twice")
        seen.add(section.key)
        sentences = tuple(
            matcher.sentence(section.key, item.text, item.id) for item in section.sentences
        )
        result.append(
            NoteSection(
                key=section.key,
                title=section.title or SECTION_TITLES[section.key],
                sentences=sentences,
            )
        )
    return result, matcher.edited + matcher.removed()


def _texts(sections: Sequence[dict[str, Any]] | Sequence[NoteSection]) -> list[Any]:
    dumped = [s.model_dump(mode="json") if isinstance(s, NoteSection) else s for s in sections]
    return [
        (item["key"], [_normalise(sentence["text"]) for sentence in item.get("sentences", [])])
        for item in dumped
    ]


def same_text(
    first: Sequence[dict[str, Any]] | Sequence[NoteSection],
    second: Sequence[dict[str, Any]] | Sequence[NoteSection],
) -> bool:
    """Whether two versions' sections hold the same sentences (whitespace-normalised)."""
    return _texts(first) == _texts(second)


def is_replay(
    newest: NoteDraftRecord, base_version: int, sections: list[NoteSection], actor: str
) -> bool:
    """Whether `newest` is this very edit stored by an earlier, retried request."""
    return (
        newest.version == base_version + 1
        and newest.created_by == actor
        and same_text(newest.sections, sections)
    )
