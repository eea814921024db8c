"""Spoken identifiers in transcripts: number words read out as phone numbers, IDs and dates.

"five five five, one two one two" (phone), "my MRN is four five six seven" (record number),
"born July fourth nineteen fifty" (date), "she's ninety two years old" (age over 89),
"twelve forty five Oak Street" (address).
"""

from __future__ import annotations

from collections.abc import Iterator

from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.config import SpokenConfig
from scribe.deid.numwords import NumberWords
from scribe.deid.recognizers.base import SpanRecognizer, text_view
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView

_SEPARATORS = {",", "-"}
_YEAR_WORDS = {"years", "year", "yrs", "yr", "yo", "year-old", "years-old"}
_AGE_BEFORE = {"age", "aged", "turned", "turning", "turns"}
_AGE_SUBJECT = PhraseMatcher(
    ["i'm", "i am", "she's", "he's", "she is", "he is", "mom's", "dad's", "mother is", "father is"]
)
_STREETS = {
    "street",
    "avenue",
    "road",
    "lane",
    "drive",
    "court",
    "way",
    "place",
    "boulevard",
    "terrace",
    "circle",
    "parkway",
    "highway",
    "trail",
    "square",
    "pike",
    "st",
    "ave",
    "rd",
    "blvd",
    "ln",
    "dr",
    "ct",
}


class SpokenRecognizer(SpanRecognizer):
    """Finds identifiers dictated as words."""

    def __init__(self, config: SpokenConfig) -> None:
        entities = [ctx.entity for ctx in config.run_contexts] + [
            "PHONE",
            "DATE",
            "AGE",
            "STREET_ADDRESS",
        ]
        super().__init__("spoken", entities)
        self._config = config
        self._numbers = NumberWords(config)
        self._contexts = [(ctx, PhraseMatcher(ctx.words)) for ctx in config.run_contexts]
        self._date_contexts = PhraseMatcher(config.date_contexts)

    # --- runs of number words ------------------------------------------------------------------

    def _run_token(self, view: TextView, k: int, *, letters: bool) -> bool:
        token = view.tokens[k]
        if token.kind == "number":
            return True
        if token.kind != "word":
            return False
        if self._numbers.is_number_word(token.text):
            return True
        return letters and len(token.text) == 1 and token.text.isalpha()

    def _starts(self, view: TextView, *, letters: bool) -> list[int]:
        """Indexes of tokens that can start a run (cheap set lookups first)."""
        words = self._numbers.words
        return [
            k
            for k, token in enumerate(view.tokens)
            if token.kind == "number"
            or (
                token.kind == "word"
                and (
                    view.lowers[k] in words
                    or ("-" in token.text and self._run_token(view, k, letters=False))
                    or (letters and len(token.text) == 1)
                )
            )
        ]

    def _runs(self, view: TextView, *, letters: bool) -> list[tuple[int, int]]:
        runs: list[tuple[int, int]] = []
        starts = self._starts(view, letters=letters)
        cursor = 0
        for k in starts:
            if k < cursor:
                continue
            cursor = self._run_end(view, k, letters=letters) + 1
            runs.append((k, cursor - 1))
        return runs

    def _run_end(self, view: TextView, first: int, *, letters: bool) -> int:
        last = first
        k = first + 1
        while k < len(view):
            if view.tokens[k].text in _SEPARATORS:
                k += 1
                continue
            if "\n" in view.gap(last, k) or "." in view.gap(last, k):
                break
            if not self._run_token(view, k, letters=letters):
                break
            last = k
            k += 1
        return last

    def _words(self, view: TextView, first: int, last: int) -> list[str]:
        return [
            view.tokens[i].text
            for i in range(first, last + 1)
            if view.tokens[i].text not in _SEPARATORS
        ]

    def _span(
        self, view: TextView, first: int, last: int, entity: str, score: float, kind: str
    ) -> PhiSpan:
        return PhiSpan(view.tokens[first].start, view.tokens[last].end, entity, score, kind)

    # --- identifiers and phone numbers ---------------------------------------------------------

    def _context_entity(self, view: TextView, first: int) -> tuple[str, int] | None:
        lowest = max(0, first - self._config.context_window_words)
        for k in range(first - 1, lowest - 1, -1):
            if "\n" in view.gap(k, k + 1):
                return None
            best = max(self._contexts, key=lambda item: item[1].ending_at(view.lowers, k))
            if best[1].ending_at(view.lowers, k):
                return best[0].entity, best[0].min_digits
        return None

    def _identifier_runs(self, view: TextView) -> Iterator[PhiSpan]:
        scores = self._config.scores
        for first, last in self._runs(view, letters=True):
            while first < last and view.lowers[first] in {"a", "i"}:
                first += 1
            words = self._words(view, first, last)
            digits = self._numbers.digit_string([w for w in words if len(w) > 1 or w.isdigit()])
            spoken = any(self._numbers.is_number_word(w) for w in words)
            if spoken and len(digits) <= 4 and self._numbers.year(words) is not None:
                continue
            found = self._context_entity(view, first)
            if found and len(digits) >= found[1]:
                yield self._span(view, first, last, found[0], scores.spoken_run, "spoken_run")
            elif spoken and not found and self._looks_like_phone(words, digits):
                yield self._span(view, first, last, "PHONE", scores.spoken_phone, "spoken_phone")

    def _looks_like_phone(self, words: list[str], digits: str) -> bool:
        singles = sum(self._numbers.is_single_digit(w) for w in words)
        singles += sum(self._numbers.repeaters.get(w.lower(), 0) for w in words)
        letters = sum(len(w) == 1 and w.isalpha() for w in words)
        return not letters and singles >= 5 and 7 <= len(digits) <= 15

    # --- dates ---------------------------------------------------------------------------------

    def _ordinal_at(self, view: TextView, k: int) -> int:
        """How many tokens from k form a day ("third", "twenty first", "4th"); 0 if none."""
        for size in (2, 1):
            if k + size <= len(view):
                day = self._numbers.ordinal(view.lowers[k : k + size])
                if day is not None and 1 <= day <= 31:
                    return size
        return 0

    def _year_at(self, view: TextView, k: int) -> int:
        """How many tokens from k form a spoken or written year; 0 if none."""
        if k < len(view) and view.tokens[k].text == ",":
            k += 1
            extra = 1
        else:
            extra = 0
        for size in (4, 3, 2, 1):
            if k + size > len(view):
                continue
            plain = all(
                view.is_word(i) or view.tokens[i].kind == "number" for i in range(k, k + size)
            )
            if plain and self._numbers.year(view.lowers[k : k + size]) is not None:
                return size + extra
        return 0

    def _month_first(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        if view.lowers[k] not in self._numbers.months:
            return
        j = k + 1
        if j < len(view) and view.lowers[j] == "the":
            j += 1
        size = self._ordinal_at(view, j)
        if not size:
            return
        last = j + size - 1
        last += self._year_at(view, last + 1)
        yield self._span(view, k, last, "DATE", self._config.scores.spoken_date, "spoken_date")

    def _day_first(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        size = self._ordinal_at(view, k)
        if not size:
            return
        j = k + size
        if j < len(view) and view.lowers[j] == "of":
            j += 1
        if j >= len(view) or view.lowers[j] not in self._numbers.months:
            return
        last = j + self._year_at(view, j + 1)
        yield self._span(view, k, last, "DATE", self._config.scores.spoken_date, "spoken_date")

    def _on_the_ordinal(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "discharged on the twelfth": a day of the month said alone after "on the"."""
        if (
            k < 2
            or view.lowers[k - 1] != "the"
            or view.lowers[k - 2] not in {"on", "since", "until", "by"}
        ):
            return
        size = self._ordinal_at(view, k)
        if not size or view.tokens[k].text[0].isdigit():
            return
        nxt = k + size
        if nxt < len(view) and view.is_word(nxt) and view.lowers[nxt] != "of":
            return  # "on the second day", "on the third floor"
        yield self._span(view, k, nxt - 1, "DATE", self._config.scores.spoken_date, "spoken_day")

    def _dob_runs(self, view: TextView, runs: list[tuple[int, int]]) -> Iterator[PhiSpan]:
        for first, last in runs:
            words = self._words(view, first, last)
            if not any(self._numbers.is_number_word(w) for w in words):
                continue
            if self._numbers.year(words) is not None:
                continue
            lowest = max(0, first - 5)
            if any(self._date_contexts.ending_at(view.lowers, k) for k in range(lowest, first)):
                score = self._config.scores.spoken_date
                yield self._span(view, first, last, "DATE", score, "spoken_dob")

    # --- ages and addresses --------------------------------------------------------------------

    def _ages(self, view: TextView, runs: list[tuple[int, int]]) -> Iterator[PhiSpan]:
        for first, last in runs:
            words = self._words(view, first, last)
            if not all(self._numbers.is_number_word(w) or w.lower() in {"a", "and"} for w in words):
                continue
            value = self._numbers.value(words)
            if value is None or not 90 <= value <= 129:
                continue
            after = view.lowers[last + 1] if last + 1 < len(view) else ""
            before = view.lowers[first - 1] if first > 0 else ""
            subject = first > 0 and _AGE_SUBJECT.ending_at(view.lowers, first - 1)
            if after in _YEAR_WORDS or before in _AGE_BEFORE or (subject and after in {"", ","}):
                yield self._span(
                    view, first, last, "AGE", self._config.scores.spoken_age, "spoken_age"
                )

    def _addresses(self, view: TextView, runs: list[tuple[int, int]]) -> Iterator[PhiSpan]:
        for first, last in runs:
            words = self._words(view, first, last)
            if not any(self._numbers.is_number_word(w) for w in words):
                continue
            k = last + 1
            names = 0
            while k < len(view) and names < 3 and view.is_word(k) and view.same_line(last, k):
                if view.lowers[k] in _STREETS and names:
                    score = self._config.scores.spoken_address
                    yield self._span(view, first, k, "STREET_ADDRESS", score, "spoken_address")
                    break
                if not view.tokens[k].text[0].isupper():
                    break
                names += 1
                k += 1

    # --- entry point ---------------------------------------------------------------------------

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[PhiSpan]:
        """All spoken identifiers in `text`."""
        view = text_view(text, nlp_artifacts)
        spans: list[PhiSpan] = list(self._identifier_runs(view))
        months = self._numbers.months
        for k, lower in enumerate(view.lowers):
            if lower in months:
                spans.extend(self._month_first(view, k))
            elif (
                lower in self._numbers.ordinals
                or lower in self._numbers.tens
                or lower[-2:] in {"st", "nd", "rd", "th"}
            ):
                spans.extend(self._day_first(view, k))
                spans.extend(self._on_the_ordinal(view, k))
        plain_runs = self._runs(view, letters=False)
        spans.extend(self._dob_runs(view, plain_runs))
        spans.extend(self._ages(view, plain_runs))
        spans.extend(self._addresses(view, plain_runs))
        return spans
