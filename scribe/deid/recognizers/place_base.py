"""Shared rules of the place and facility recognizers: word tests and configured word sets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scribe.deid.config import PlacesConfig
from scribe.deid.recognizers.base import SpanRecognizer
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView
from scribe.deid.vocabulary import Vocabulary

SAINTS = frozenset({"st", "saint", "mount", "mt", "ste"})
HOLY = frozenset({"holy", "sacred"})
ACRONYM = re.compile(r"[A-Z]{2,5}\d?$")


def sentence_start(view: TextView, k: int) -> bool:
    """Token k begins a line or a sentence (its capital says nothing)."""
    if k == 0:
        return True
    gap = view.gap(k - 1, k)
    return "\n" in gap or gap.strip() in {".", "!", "?"} or view.tokens[k - 1].text in {":", "-"}


class PlaceRules(SpanRecognizer):
    """Configured place vocabulary and the word tests both place recognizers use."""

    def __init__(
        self, name: str, entities: list[str], config: PlacesConfig, vocabulary: Vocabulary
    ) -> None:
        super().__init__(name, entities)
        self._config = config
        self._vocab = vocabulary
        self._cities = PhraseMatcher(config.cities)
        self._states = PhraseMatcher(config.states)
        self._suffixes = PhraseMatcher(config.facility_suffixes)
        self._facility_words = frozenset(w.lower() for w in config.facility_name_words)
        self._not_places = frozenset(w.lower() for w in config.not_places)
        self._place_words = frozenset(w.lower() for w in config.place_name_words)

    def _proper(self, view: TextView, k: int) -> bool:
        """A word that can be part of a place name: unknown, or a known place or name word."""
        if not view.is_word(k) or view.lowers[k] in self._not_places:
            return False
        word = view.tokens[k].text
        if self._vocab.is_clinical(word) and not self._vocab.is_name(word):
            return False
        if not view.shape_ok(k) or len(word) < 2:
            return False
        return not self._vocab.is_common(word) or self._vocab.is_name(word)

    def _gazetteer_len(self, view: TextView, k: int) -> int:
        return self._cities.starting_at(view.lowers, k) or self._states.starting_at(view.lowers, k)

    def _span(
        self,
        view: TextView,
        first: int,
        last: int,
        entity: str,
        score: float,
        kind: str,
        *,
        strong: bool = False,
    ) -> PhiSpan:
        return PhiSpan(view.tokens[first].start, view.tokens[last].end, entity, score, kind, strong)

    def _titled_word(self, view: TextView, k: int) -> bool:
        token = view.tokens[k].text
        return (
            view.modes[k] == "mixed"
            and token[0].isupper()
            and token[1:].islower()
            and view.lowers[k] not in self._vocab.never
            and view.is_word(k)
        )

    def _context_candidate(
        self, view: TextView, cand: int, entity: str, *, strong: bool
    ) -> Iterator[PhiSpan]:
        if self._gazetteer_len(view, cand):
            return  # the gazetteer reports it
        if not self._proper(view, cand) or self._vocab.is_name(view.tokens[cand].text):
            return
        word = view.tokens[cand].text
        if not strong:
            mixed_title = view.modes[cand] == "mixed" and word[0].isupper() and not word.isupper()
            acronym = entity == "FACILITY" and bool(ACRONYM.match(word))
            if not (mixed_title or acronym):
                return
        last = self._extend_place(view, cand)
        nxt = last + 1
        if (
            entity == "FACILITY"
            and nxt < len(view)
            and view.tokens[nxt].kind == "number"
            and len(view.tokens[nxt].text) <= 2
            and view.same_line(last, nxt)
        ):
            last = nxt  # a ward and its floor: "Quartermain 2"
        yield self._span(view, cand, last, entity, 0.75, f"{entity.lower()}_context")

    def _extend_place(self, view: TextView, first: int) -> int:
        """Extend a place name over following proper words and place words ("Mill", "River")."""
        last = first
        while last + 1 < len(view) and last - first < 2 and view.same_line(last, last + 1):
            nxt = last + 1
            if view.gap(last, nxt).strip():
                break
            if not (self._proper(view, nxt) or view.lowers[nxt] in self._place_words):
                break
            last = nxt
        return last

    def _facility_word(self, view: TextView, k: int) -> bool:
        """A word that makes a facility name: "Memorial", "St.", a town or an unknown word."""
        lower = view.lowers[k]
        if lower in self._facility_words or lower in SAINTS or lower in HOLY:
            return True
        return self._proper(view, k) or bool(self._gazetteer_len(view, k))

    def _ner_words(self, entity: object) -> list[str] | None:
        """The words of an NER entity worth checking, or None if it looks clinical or common."""
        words = [w.text for w in entity if w.is_alpha]  # type: ignore[attr-defined]
        if not words or words[0].isupper() or words[0].islower():
            return None
        if any(self._vocab.is_clinical(w) and not self._vocab.is_name(w) for w in words):
            return None
        if all(self._vocab.is_common(w) or w.lower() in self._not_places for w in words):
            return None
        return words
