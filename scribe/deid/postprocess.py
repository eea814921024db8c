"""After the recognizers: drop clinical false positives, propagate names, resolve overlaps."""

from __future__ import annotations

import re
from collections.abc import Iterable

from scribe.deid.config import DeidConfig
from scribe.deid.spans import PhiSpan
from scribe.deid.vocabulary import Vocabulary

_FILTERED = {"PERSON", "LOCATION", "FACILITY", "DATE"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]|[A-Za-z]")


class PostProcessor:
    """The steps between raw detections and the final, non-overlapping spans."""

    def __init__(self, config: DeidConfig, vocabulary: Vocabulary) -> None:
        self._config = config
        self._vocab = vocabulary
        self._allow = [re.compile(p, re.IGNORECASE) for p in config.clinical.allow_patterns]
        self._rank = {entity: i for i, entity in enumerate(config.engine.priority)}

    def run(self, text: str, spans: Iterable[PhiSpan]) -> list[PhiSpan]:
        """Filter, propagate and merge detections into sorted, non-overlapping spans."""
        kept = self._drop_clinical(text, list(spans))
        kept = [s for s in kept if s.score >= self._config.engine.score_threshold]
        kept += self._propagate(text, kept)
        return self._merge(kept)

    def _inside_allowed(self, text: str, span: PhiSpan) -> bool:
        lo, hi = max(0, span.start - 80), min(len(text), span.end + 80)
        return any(
            m.start() <= span.start and span.end <= m.end()
            for pattern in self._allow
            for m in pattern.finditer(text, lo, hi)
        )

    def _drop_clinical(self, text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
        kept = []
        for span in spans:
            if span.entity in _FILTERED and not span.strong:
                if self._inside_allowed(text, span):
                    continue
                words = _WORD.findall(text[span.start : span.end])
                if span.entity != "DATE" and words and all(self._not_phi_word(w) for w in words):
                    continue
            kept.append(span)
        return kept

    def _not_phi_word(self, word: str) -> bool:
        """A clinical or English word that is not also a listed name."""
        if self._vocab.is_name(word):
            return self._vocab.is_clinical(word)
        return self._vocab.is_common(word)

    def _propagate(self, text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
        rules = self._config.engine.propagation
        words: dict[str, str] = {}
        acronyms: dict[str, str] = {}
        for span in spans:
            if span.entity not in rules.entities or span.score < rules.min_score:
                continue
            for word in _WORD.findall(text[span.start : span.end]):
                if self._vocab.is_common(word):
                    continue
                if len(word) >= rules.min_length:
                    words.setdefault(word.lower(), span.entity)
                elif word.isupper() and len(word) >= rules.acronym_min_length:
                    acronyms.setdefault(word, span.entity)
        found = self._occurrences(text, words, re.IGNORECASE)
        found += self._occurrences(text, acronyms, 0)
        return [
            PhiSpan(start, end, entity, rules.score, "propagated")
            for start, end, entity in found
            if not any(s.start <= start and end <= s.end for s in spans)
        ]

    @staticmethod
    def _occurrences(text: str, seeds: dict[str, str], flags: int) -> list[tuple[int, int, str]]:
        if not seeds:
            return []
        pattern = re.compile(
            r"(?<![\w'])(?:"
            + "|".join(re.escape(w) for w in sorted(seeds, key=len, reverse=True))
            + r")(?![\w])",
            flags,
        )
        lookup = {key.lower(): value for key, value in seeds.items()}
        return [(m.start(), m.end(), lookup[m.group().lower()]) for m in pattern.finditer(text)]

    def _merge(self, spans: list[PhiSpan]) -> list[PhiSpan]:
        merged: list[PhiSpan] = []
        for span in sorted(spans, key=lambda s: (s.start, -s.end)):
            if merged and span.start < merged[-1].end:
                merged[-1] = self._combine(merged[-1], span)
            else:
                merged.append(span)
        return merged

    def _combine(self, first: PhiSpan, second: PhiSpan) -> PhiSpan:
        def key(span: PhiSpan) -> tuple[int, int]:
            return (self._rank.get(span.entity, 99), -(span.end - span.start))

        winner = min((first, second), key=key)
        return PhiSpan(
            min(first.start, second.start),
            max(first.end, second.end),
            winner.entity,
            max(first.score, second.score),
            winner.recognizer,
            first.strong or second.strong,
        )
