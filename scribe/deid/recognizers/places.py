"""Towns and states: a gazetteer, place context ("lives in"), "Town, ST" and place-like names.

Street addresses and ZIP codes are patterns (`patterns.yaml`); facilities have their own
recognizer (`facilities.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.config import PlacesConfig
from scribe.deid.recognizers.base import text_view
from scribe.deid.recognizers.place_base import PlaceRules, sentence_start
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView
from scribe.deid.vocabulary import Vocabulary


class PlaceRecognizer(PlaceRules):
    """Finds towns and states."""

    def __init__(self, config: PlacesConfig, vocabulary: Vocabulary) -> None:
        super().__init__("places", ["LOCATION"], config, vocabulary)
        self._place_before = PhraseMatcher([p for p in config.place_before if " " in p])
        self._weak_place_before = PhraseMatcher([p for p in config.place_before if " " not in p])
        self._state_abbr = frozenset(config.state_abbreviations)
        self._place_prefixes = frozenset(w.lower() for w in config.place_prefix_words)
        self._context_last = self._place_before.last | self._weak_place_before.last
        self._gazetteer_first = self._cities.first | self._states.first

    def _gazetteer(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        size = self._cities.starting_at(view.lowers, k)
        state = False
        if not size and self._config.redact_states:
            size = self._states.starting_at(view.lowers, k)
            state = bool(size)
        if not size or (size == 1 and not view.shape_ok(k)):
            return
        last = k + size - 1
        words = view.lowers[k : last + 1]
        ambiguous = size == 1 and (
            self._vocab.is_english(words[0]) or self._vocab.is_name(words[0])
        )
        if ambiguous and not self._has_place_context(view, k, last):
            return
        score = self._config.state_score if state else self._config.city_score
        yield self._span(
            view, k, last, "LOCATION", score, "state" if state else "city", strong=True
        )

    def _has_place_context(self, view: TextView, first: int, last: int) -> bool:
        before = first - 1
        if before >= 0 and (
            self._place_before.ending_at(view.lowers, before)
            or self._weak_place_before.ending_at(view.lowers, before)
        ):
            return view.modes[first] != "mixed" or view.tokens[first].text[0].isupper()
        nxt = last + 1
        return (
            nxt + 1 < len(view)
            and view.tokens[nxt].text == ","
            and (
                view.tokens[nxt + 1].text in self._state_abbr
                or bool(self._states.starting_at(view.lowers, nxt + 1))
            )
        )

    def _after_context(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        cand = k + 1
        if cand >= len(view) or not view.same_line(k, cand):
            return
        if self._place_before.ending_at(view.lowers, k):
            yield from self._context_candidate(view, cand, "LOCATION", strong=True)
        elif self._weak_place_before.ending_at(view.lowers, k):
            yield from self._context_candidate(view, cand, "LOCATION", strong=False)

    def _titled_place(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "Eastern Shore", "Severna Park": capitalised words ending in a place word."""
        if view.lowers[k] not in self._place_words or not self._titled_word(view, k):
            return
        first = k
        while (
            first > 0
            and k - first < 2
            and self._titled_word(view, first - 1)
            and (view.same_line(first - 1, k) and not view.gap(first - 1, first).strip())
        ):
            first -= 1
        if first == k or sentence_start(view, first):
            return
        yield self._span(view, first, k, "LOCATION", 0.7, "place_name", strong=True)

    def _prefixed_place(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "Port Ellery", "Fort Meade": a place prefix and a capitalised unknown word."""
        nxt = k + 1
        if nxt >= len(view) or not self._titled_word(view, k) or not self._titled_word(view, nxt):
            return
        if view.gap(k, nxt).strip() or sentence_start(view, k):
            return
        word = view.tokens[nxt].text
        if self._vocab.is_common(word) and view.lowers[nxt] not in self._place_words:
            return
        yield self._span(view, k, nxt, "LOCATION", 0.7, "place_name", strong=True)

    def _town_state(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "Middle River, MD", "Towson, Maryland": capitalised words before a comma and state."""
        if view.tokens[k].text != "," or k == 0 or k + 1 >= len(view):
            return
        state = view.tokens[k + 1].text
        if state not in self._state_abbr and not self._states.starting_at(view.lowers, k + 1):
            return
        last = k - 1
        first = last
        while (
            first >= 0
            and last - first < 3
            and view.is_word(first)
            and (
                view.tokens[first].text[0].isupper() and view.lowers[first] not in self._vocab.never
            )
        ):
            first -= 1
        first += 1
        if first > last or not view.same_line(first, k + 1):
            return
        words = [view.tokens[i].text for i in range(first, last + 1)]
        if state in {"MD", "DO", "PA"} and any(self._vocab.is_name(w) for w in words):
            return  # "Smith, MD" is a clinician
        titled = all(w[0].isupper() and not w.isupper() for w in words)
        known = " ".join(words).lower() in self._vocab.places
        plain = all(not self._vocab.is_common(w) for w in words)
        if not (titled or known or (plain and len(state) > 2)):
            return
        yield self._span(view, first, last, "LOCATION", 0.75, "town_state", strong=True)

    def _from_ner(self, nlp_artifacts: NlpArtifacts | None) -> Iterator[PhiSpan]:
        for entity in nlp_artifacts.entities if nlp_artifacts else []:
            if entity.label_ != "LOCATION":
                continue
            words = self._ner_words(entity)
            if words is None:
                continue
            titled = len(words) >= 2 and all(w[0].isupper() for w in words)
            if titled or any(w.lower() in self._vocab.places for w in words):
                yield PhiSpan(entity.start_char, entity.end_char, "LOCATION", 0.6, "place_ner")

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[PhiSpan]:
        """All town and state spans in `text`."""
        view = text_view(text, nlp_artifacts)
        rules = (
            (self._context_last, self._after_context),
            (frozenset({","}), self._town_state),
            (self._place_words, self._titled_place),
            (self._place_prefixes, self._prefixed_place),
            (self._gazetteer_first, self._gazetteer),
        )
        spans: list[PhiSpan] = []
        for k, lower in enumerate(view.lowers):
            for words, rule in rules:
                if lower in words:
                    spans.extend(rule(view, k))
        spans.extend(self._from_ner(nlp_artifacts))
        return spans
