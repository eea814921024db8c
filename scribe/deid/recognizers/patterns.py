"""Regular-expression recognizers defined in `patterns.yaml`, as one Presidio recognizer."""

from __future__ import annotations

from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.config import PatternsConfig
from scribe.deid.recognizers.base import SpanRecognizer, text_view
from scribe.deid.regexes import CompiledPattern, find_all
from scribe.deid.spans import PhiSpan


class PatternRecognizerSet(SpanRecognizer):
    """All pattern rules of `patterns.yaml`."""

    def __init__(self, config: PatternsConfig) -> None:
        super().__init__("patterns", [spec.entity for spec in config.recognizers])
        self._patterns = [CompiledPattern.build(spec) for spec in config.recognizers]

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[PhiSpan]:
        """Every match of every rule that passes its context checks."""
        words = set(text_view(text, nlp_artifacts).lowers)
        return find_all(self._patterns, text, words)
