"""Evidence links for free-text note sentences: align each sentence to transcript sentences.

Two signals, each kept as its own Evidence method:
- lexical: idf-weighted share of the note sentence's content words (Porter stems) found in a
  transcript sentence (rare words such as drug names weigh most);
- semantic: cosine similarity of all-MiniLM-L6-v2 sentence embeddings.
Transcript sentences are embedded once per transcript.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scribe.contracts import Evidence, EvidenceMethod, Transcript
from scribe.drafting.embeddings import SentenceEmbedder
from scribe.drafting.rulebook import language_rules
from scribe.drafting.text import SpokenCleaner, sentence_spans, words


@dataclass(frozen=True)
class Unit:
    """One transcript sentence that evidence can quote."""

    segment_id: int
    text: str
    terms: frozenset[str]


@lru_cache(maxsize=1)
def _stemmer() -> object:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


class TermReader:
    """Content terms of a text: digits for number words, stopwords dropped, Porter-stemmed."""

    def __init__(self) -> None:
        self._stopwords = frozenset(language_rules().stopwords)
        self._cleaner = SpokenCleaner()

    def terms(self, text: str) -> frozenset[str]:
        """The set of content-word stems of `text`."""
        stem = _stemmer().stem  # type: ignore[attr-defined]
        tokens = words(self._cleaner.tidy(text))
        return frozenset(stem(token) for token in tokens if token not in self._stopwords)


class EvidenceAligner:
    """Links note sentences to the transcript sentences that best support them."""

    def __init__(
        self,
        embedder: SentenceEmbedder | None = None,
        *,
        top_k: int = 2,
        lexical_threshold: float = 0.5,
        semantic_threshold: float = 0.5,
    ) -> None:
        self.embedder = embedder
        self.top_k = top_k
        self.lexical_threshold = lexical_threshold
        self.semantic_threshold = semantic_threshold
        self._reader = TermReader()
        self._cache: tuple[Transcript, list[Unit], np.ndarray | None] | None = None

    def parameters(self) -> dict[str, float | int | str | None]:
        """Settings recorded in provenance."""
        return {
            "top_k": self.top_k,
            "lexical_threshold": self.lexical_threshold,
            "semantic_threshold": self.semantic_threshold,
            "embedder": self.embedder.name if self.embedder else None,
        }

    def align(self, sentences: Sequence[str], transcript: Transcript) -> list[tuple[Evidence, ...]]:
        """For each sentence, up to `top_k` lexical and `top_k` semantic links, best first."""
        units, vectors = self._units(transcript)
        if not units or not sentences:
            return [() for _ in sentences]
        lexical = self._lexical_scores(sentences, units)
        semantic = self._semantic_scores(sentences, vectors)
        results = []
        for row, _ in enumerate(sentences):
            evidence = self._pick(units, lexical[row], "lexical", self.lexical_threshold)
            if semantic is not None:
                evidence += self._pick(units, semantic[row], "semantic", self.semantic_threshold)
            results.append(tuple(sorted(evidence, key=lambda e: e.score, reverse=True)))
        return results

    def _units(self, transcript: Transcript) -> tuple[list[Unit], np.ndarray | None]:
        if self._cache is not None and self._cache[0] is transcript:
            return self._cache[1], self._cache[2]
        units = [
            Unit(segment.id, segment.text[start:end], self._reader.terms(segment.text[start:end]))
            for segment in transcript.segments
            for start, end in sentence_spans(segment.text)
        ]
        units = [unit for unit in units if unit.terms]
        vectors = self.embedder.embed([u.text for u in units]) if self.embedder and units else None
        self._cache = (transcript, units, vectors)
        return units, vectors

    def _lexical_scores(self, sentences: Sequence[str], units: list[Unit]) -> np.ndarray:
        frequency = Counter(term for unit in units for term in unit.terms)
        count = len(units)
        idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
        unseen = math.log(1 + count)
        scores = np.zeros((len(sentences), count), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            terms = self._reader.terms(sentence)
            total = sum(idf.get(term, unseen) for term in terms)
            if not total:
                continue
            for column, unit in enumerate(units):
                shared = terms & unit.terms
                if shared:
                    scores[row, column] = sum(idf[term] for term in shared) / total
        return scores

    def _semantic_scores(
        self, sentences: Sequence[str], vectors: np.ndarray | None
    ) -> np.ndarray | None:
        if self.embedder is None or vectors is None:
            return None
        return self.embedder.embed(list(sentences)) @ vectors.T

    def _pick(
        self, units: list[Unit], scores: np.ndarray, method: EvidenceMethod, threshold: float
    ) -> list[Evidence]:
        picked: list[Evidence] = []
        for column in np.argsort(-scores):
            score = float(scores[column])
            if score < threshold or len(picked) >= self.top_k:
                break
            unit = units[int(column)]
            if any(e.segment_id == unit.segment_id for e in picked):
                continue
            picked.append(
                Evidence(
                    segment_id=unit.segment_id,
                    score=round(score, 4),
                    method=method,
                    quote=unit.text,
                )
            )
        return picked
