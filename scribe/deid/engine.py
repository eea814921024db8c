"""`PresidioDeidentifier`: Presidio's analyzer built explicitly from the project's configuration.

The analyzer gets the project's own recognizers only (patterns, names, places, spoken forms), a
spaCy engine that loads en_core_web_sm from the installed package path (never downloads), and no
context enhancer (context is part of each rule). Nothing falls back to Presidio's defaults.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.contracts import Provenance
from scribe.deid.config import DeidConfig, load_config
from scribe.deid.nlp import PackagedSpacyNlpEngine
from scribe.deid.operators import Operator, OperatorApplier
from scribe.deid.postprocess import PostProcessor
from scribe.deid.recognizers.base import STRONG_KEY
from scribe.deid.recognizers.facilities import FacilityRecognizer
from scribe.deid.recognizers.names import NameRecognizer
from scribe.deid.recognizers.patterns import PatternRecognizerSet
from scribe.deid.recognizers.places import PlaceRecognizer
from scribe.deid.recognizers.spoken import SpokenRecognizer
from scribe.deid.spans import PhiSpan
from scribe.deid.surrogate_factory import SurrogateFactory
from scribe.deid.surrogates import SurrogateSession
from scribe.deid.validation import ensure_text
from scribe.version import code_version

COMPONENT = "deid.presidio"
_TITLED = re.compile(r"\b[A-Z][a-z]{2,}\b")


class _NoContextEnhancer(ContextAwareEnhancer):
    """Keeps recognizer scores as they are: context words are already part of each rule."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0.0,
            min_score_with_context_similarity=0.0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Return the results unchanged."""
        return raw_results


@dataclass(frozen=True)
class DeidResult:
    """A de-identified text, the spans found in the original and how it was produced."""

    text: str
    spans: tuple[PhiSpan, ...]
    operator: str
    provenance: Provenance
    seconds: float = field(default=0.0, compare=False)


class PresidioDeidentifier:
    """Detects PHI and de-identifies text; build once per process and share it."""

    name = "presidio"

    def __init__(
        self,
        spacy_model_path: Path,
        *,
        spacy_model_sha256: str = "",
        config: DeidConfig | None = None,
    ) -> None:
        self.config = config or load_config()
        from scribe.deid.vocabulary import Vocabulary

        vocabulary = Vocabulary.from_config(self.config)
        self._vocabulary = vocabulary
        self._nlp_engine = PackagedSpacyNlpEngine(
            Path(spacy_model_path), self.config.engine.nlp, needs_ner=self._needs_ner
        )
        self._nlp_engine.load()
        recognizers = [
            PatternRecognizerSet(self.config.patterns),
            NameRecognizer(self.config.names, vocabulary),
            PlaceRecognizer(self.config.places, vocabulary),
            FacilityRecognizer(self.config.places, vocabulary),
            SpokenRecognizer(self.config.spoken),
        ]
        self._analyzer = AnalyzerEngine(
            registry=RecognizerRegistry(recognizers=recognizers, supported_languages=["en"]),
            nlp_engine=self._nlp_engine,
            supported_languages=["en"],
            default_score_threshold=0.0,
            context_aware_enhancer=_NoContextEnhancer(),
        )
        self._post = PostProcessor(self.config, vocabulary)
        tags = {name: spec.tag for name, spec in self.config.engine.entities.items()}
        self._applier = OperatorApplier(SurrogateFactory(self.config), tags)
        self.provenance = Provenance(
            component=COMPONENT,
            model_name=Path(spacy_model_path).name,
            model_sha256=spacy_model_sha256 or None,
            rules_version=self.config.version,
            code_version=code_version(),
        )

    def _needs_ner(self, line: str) -> bool:
        """A capitalised word that no word list explains: only such lines need spaCy's NER."""
        return any(
            not self._vocabulary.is_common(word) and not self._vocabulary.is_name(word)
            for word in _TITLED.findall(line)
        )

    @property
    def max_chars(self) -> int:
        """Longest text accepted by one call."""
        return self.config.engine.max_chars

    def analyze(self, text: str | bytes) -> list[PhiSpan]:
        """PHI spans in `text`, sorted and non-overlapping. Raises DeidInputError on bad input."""
        checked = ensure_text(text, max_chars=self.max_chars)
        artifacts = self._nlp_engine.process_text(checked, "en")
        return self._spans(checked, artifacts)

    def analyze_many(self, texts: Sequence[str], *, batch_size: int = 16) -> list[list[PhiSpan]]:
        """Like `analyze` for many texts, running spaCy in batches (faster for exports).

        Empty or blank texts are allowed here and give no spans.
        """
        checked = [ensure_text(t, max_chars=self.max_chars, allow_empty=True) for t in texts]
        batches = self._nlp_engine.process_batch(checked, "en", batch_size=batch_size)
        return [self._spans(text, artifacts) if text.strip() else [] for text, artifacts in batches]

    def _spans(self, text: str, artifacts: NlpArtifacts) -> list[PhiSpan]:
        results = self._analyzer.analyze(text, language="en", nlp_artifacts=artifacts)
        return self._post.run(text, _to_spans(results))

    def deidentify(
        self,
        text: str | bytes,
        *,
        operator: Operator = "tag",
        session: SurrogateSession | None = None,
    ) -> DeidResult:
        """De-identify one text. Pass the same `session` for every text of an encounter.

        With operator="surrogate" and no session, a fresh session is used (its mapping is lost).
        """
        started = time.perf_counter()
        checked = ensure_text(text, max_chars=self.max_chars)
        spans = self.analyze(checked)
        return self.apply(checked, spans, operator=operator, session=session, started=started)

    def apply(
        self,
        text: str,
        spans: Iterable[PhiSpan],
        *,
        operator: Operator = "tag",
        session: SurrogateSession | None = None,
        started: float | None = None,
    ) -> DeidResult:
        """Apply an operator to spans found earlier (e.g. by `analyze_many`)."""
        begin = started if started is not None else time.perf_counter()
        span_list = list(spans)
        if operator == "surrogate" and session is None:
            session = SurrogateSession()
        out = self._applier.apply(text, span_list, operator=operator, session=session)
        provenance = self.provenance.model_copy(update={"parameters": {"operator": operator}})
        return DeidResult(out, tuple(span_list), operator, provenance, time.perf_counter() - begin)


def _to_spans(results: Iterable[RecognizerResult]) -> list[PhiSpan]:
    spans = []
    for result in results:
        meta = result.recognition_metadata or {}
        spans.append(
            PhiSpan(
                result.start,
                result.end,
                result.entity_type,
                float(result.score),
                str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown")),
                bool(meta.get(STRONG_KEY, False)),
            )
        )
    return spans
