"""Facility names: hospitals, clinics, homes and wards.

"Kessler Medical Center" (a name before a facility word), "St. Agnes", "Holy Cross",
"University of Maryland Medical Center", "transferred to GH" (facility context), ward names with a
floor number ("to Quartermain 2") and NER organisations that contain a facility word.
"""

from __future__ import annotations

from collections.abc import Iterator

from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.config import PlacesConfig
from scribe.deid.recognizers.base import text_view
from scribe.deid.recognizers.place_base import HOLY, SAINTS, PlaceRules
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView
from scribe.deid.vocabulary import Vocabulary

_OF_HEADS = frozenset(
    {
        "university",
        "univ",
        "u",
        "college",
        "school",
        "hospital",
        "center",
        "centre",
        "institute",
        "hospitals",
        "clinic",
    }
)
_WARD_BEFORE = frozenset({"to", "on", "from", "at", "transfer", "transferred", "in", "plan"})
_UNITS_AFTER = frozenset({"mg", "mcg", "units", "u", "cc", "ml", "l", "lpm", "%"})
_NER_FACILITY_WORDS = frozenset(
    {"hospital", "clinic", "center", "rehab", "home", "medical", "health"}
)


class FacilityRecognizer(PlaceRules):
    """Finds facility names."""

    def __init__(self, config: PlacesConfig, vocabulary: Vocabulary) -> None:
        super().__init__("facilities", ["FACILITY"], config, vocabulary)
        self._facility_before = PhraseMatcher([p for p in config.facility_before if " " in p])
        self._weak_facility_before = PhraseMatcher(
            [p for p in config.facility_before if " " not in p]
        )
        self._context_last = self._facility_before.last | self._weak_facility_before.last

    def _after_context(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        cand = k + 1
        if cand >= len(view) or not view.same_line(k, cand):
            return
        if self._facility_before.ending_at(view.lowers, k):
            cand = self._after_room_number(view, cand)
            yield from self._context_candidate(view, cand, "FACILITY", strong=True)
        if self._weak_facility_before.ending_at(view.lowers, k) and view.modes[cand] == "lower":
            yield from self._lower_acronym(view, cand)

    @staticmethod
    def _after_room_number(view: TextView, cand: int) -> int:
        """Skip a room or bed number before the facility name ("transferred to 209 Farr")."""
        nxt = cand + 1
        if (
            view.tokens[cand].kind == "number"
            and len(view.tokens[cand].text) in (3, 4)
            and nxt < len(view)
            and view.same_line(cand, nxt)
            and view.gap(cand, nxt) == " "
        ):
            return nxt
        return cand

    def _lower_acronym(self, view: TextView, cand: int) -> Iterator[PhiSpan]:
        """ "at gh", "to bmc": a hospital acronym written in lower case in a lower-case note."""
        word = view.tokens[cand].text
        if not (2 <= len(word) <= 5 and word.isalpha() and word.islower()):
            return
        if not word.endswith(("h", "mc", "hc", "mh")) or self._vocab.is_common(word):
            return
        yield self._span(view, cand, cand, "FACILITY", 0.75, "facility_acronym")

    def _ward(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """A ward or building name with a floor number after "to"/"on"/"from" ("Quartermain 2")."""
        nxt = k + 1
        if k == 0 or nxt >= len(view) or view.tokens[nxt].kind != "number":
            return
        number = view.tokens[nxt].text
        word = view.tokens[k].text
        if len(number) > 2 or view.gap(k, nxt) != " " or not view.is_word(k):
            return
        if view.lowers[k] in self._not_places or self._vocab.is_clinical(word):
            return
        if self._vocab.is_name(word) or self._vocab.is_common(word) or len(word) < 4:
            return
        before = view.lowers[k - 1] if k > 0 else ""
        if before == ":" and k > 1:
            before = view.lowers[k - 2]
        if before not in _WARD_BEFORE:
            return
        after = view.tokens[nxt + 1].text.lower() if nxt + 1 < len(view) else ""
        if after in _UNITS_AFTER:
            return
        yield self._span(view, k, nxt, "FACILITY", 0.75, "facility_ward")

    def _facility_suffix(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        size = self._suffixes.starting_at(view.lowers, k)
        if not size:
            return
        last = k + size - 1
        first = k
        proper = False
        while first - 1 >= 0 and k - first < 5 and view.same_line(first - 1, first):
            prev = first - 1
            lower = view.lowers[prev]
            if lower == "of" and prev - 1 >= 0 and view.lowers[prev - 1] in _OF_HEADS:
                first = prev
                continue
            if self._facility_word(view, prev):
                proper = True
            elif not self._titled_word(view, prev):
                break
            first = prev
        titled = all(self._titled_word(view, i) for i in range(first, last + 1))
        if (proper or titled) and first < k:
            yield self._span(view, first, last, "FACILITY", 0.8, "facility_name", strong=True)

    def _saint(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        lower = view.lowers[k]
        if lower not in SAINTS and lower not in HOLY:
            return
        nxt = k + 1
        if nxt >= len(view) or not view.is_word(nxt) or not view.same_line(k, nxt):
            return
        if not view.shape_ok(k) or not view.shape_ok(nxt):
            return
        word = view.tokens[nxt].text
        if lower in SAINTS:
            titled = view.modes[nxt] == "mixed" and word[0].isupper()
            if not (self._vocab.is_name(word) or titled and not self._vocab.is_common(word)):
                return
            if self._vocab.is_clinical(word) and not self._vocab.is_name(word):
                return
            if view.tokens[k].start > 0 and view.text[view.tokens[k].start - 1].isdigit():
                return
        elif view.lowers[nxt] in self._vocab.never:
            return
        last = nxt + (self._suffixes.starting_at(view.lowers, nxt + 1) or 0)
        yield self._span(view, k, last, "FACILITY", 0.75, "facility_saint", strong=True)

    def _university_of(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "University of Maryland Medical Center", and "U Maryland" (a state or town after it)."""
        if view.lowers[k] not in {"university", "univ", "u"} or k + 1 >= len(view):
            return
        name = k + 2 if view.lowers[k + 1] == "of" else k + 1
        if name >= len(view) or not view.is_word(name) or not view.same_line(k, name):
            return
        if not (view.tokens[k].text[0].isupper() and view.tokens[name].text[0].isupper()):
            return
        place = self._gazetteer_len(view, name)
        units = k > 0 and view.tokens[k - 1].kind == "number"  # "10 U Regular": units
        if name == k + 1 and (not place or units):
            return
        last = name + max(place, 1) - 1
        while last + 1 < len(view) and last - k < 6 and view.same_line(last, last + 1):
            if not self._suffixes.starting_at(view.lowers, last + 1) and (
                view.lowers[last + 1] not in {"medical", "med", "center", "ctr", "hospital"}
            ):
                break
            last += 1
        yield self._span(view, k, last, "FACILITY", 0.8, "facility_university", strong=True)

    def _from_ner(self, nlp_artifacts: NlpArtifacts | None) -> Iterator[PhiSpan]:
        for entity in nlp_artifacts.entities if nlp_artifacts else []:
            if entity.label_ != "FACILITY":
                continue
            words = self._ner_words(entity)
            lowers = {w.lower() for w in words or []}
            if lowers & (self._facility_words | _NER_FACILITY_WORDS):
                yield PhiSpan(entity.start_char, entity.end_char, "FACILITY", 0.6, "place_ner")

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[PhiSpan]:
        """All facility spans in `text`."""
        view = text_view(text, nlp_artifacts)
        rules = (
            (self._context_last, self._after_context),
            (self._suffixes.first, self._facility_suffix),
            (SAINTS | HOLY, self._saint),
            (frozenset({"university", "univ", "u"}), self._university_of),
        )
        spans: list[PhiSpan] = []
        last = len(view) - 1
        for k, lower in enumerate(view.lowers):
            for words, rule in rules:
                if lower in words:
                    spans.extend(rule(view, k))
            if k < last and view.tokens[k + 1].kind == "number" and view.is_word(k):
                spans.extend(self._ward(view, k))
        spans.extend(self._from_ner(nlp_artifacts))
        return spans
