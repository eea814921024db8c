"""Shared base of the project's Presidio recognizers."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import TextView

STRONG_KEY = "strong_context"
VIEW_ATTRIBUTE = "deid_text_view"


def text_view(text: str, nlp_artifacts: NlpArtifacts | None) -> TextView:
    """The tokenised view of `text`, shared by all recognizers of one analysis when possible."""
    view = getattr(nlp_artifacts, VIEW_ATTRIBUTE, None)
    if isinstance(view, TextView) and view.text is text:
        return view
    view = TextView(text)
    if nlp_artifacts is not None:
        setattr(nlp_artifacts, VIEW_ATTRIBUTE, view)
    return view


class SpanRecognizer(EntityRecognizer):
    """A recognizer that finds `PhiSpan`s; Presidio sees them as RecognizerResults."""

    def __init__(self, name: str, entities: list[str]) -> None:
        super().__init__(
            supported_entities=sorted(set(entities)), name=name, supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load: rules are compiled in the constructor."""

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[PhiSpan]:
        """Return the spans this recognizer detects in `text`."""
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio entry point: `find` wrapped as RecognizerResults."""
        wanted = set(entities) if entities else None
        return [
            RecognizerResult(
                entity_type=span.entity,
                start=span.start,
                end=span.end,
                score=span.score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: span.recognizer,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    STRONG_KEY: span.strong,
                },
            )
            for span in self.find(text, nlp_artifacts)
            if wanted is None or span.entity in wanted
        ]
