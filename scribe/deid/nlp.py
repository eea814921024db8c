"""The spaCy NLP engine for Presidio, loaded from an installed package path and never downloaded.

Named-entity recognition is the slowest step (about 120 microseconds a word on one core), and
the recognizers only use it for capitalised words that no word list explains. With
``ner_scope: candidate_lines`` the full text is only tokenised, and the statistical pipeline runs
on the lines that contain such a word; entity offsets are mapped back onto the whole document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from scribe.deid.config import NlpSpec
from scribe.deid.errors import DeidConfigError

NeedsNer = Callable[[str], bool]
_MAX_SEGMENT = 2000


def _segments(text: str) -> Iterator[tuple[int, str]]:
    """Lines of `text` (long lines cut at sentence ends) with their start offsets."""
    start = 0
    for line in text.splitlines(keepends=True):
        while len(line) > _MAX_SEGMENT:
            cut = line.rfind(". ", 0, _MAX_SEGMENT)
            cut = cut + 2 if cut > 0 else _MAX_SEGMENT
            yield start, line[:cut]
            start += cut
            line = line[cut:]
        if line.strip():
            yield start, line
        start += len(line)


class PackagedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, but `load` reads a local model directory and nothing else.

    Presidio's own `load` downloads a missing model; this one raises instead.
    """

    def __init__(
        self, model_path: Path, spec: NlpSpec, *, needs_ner: NeedsNer | None = None
    ) -> None:
        ner = NerModelConfiguration(
            model_to_presidio_entity_mapping=dict(spec.ner_labels),
            labels_to_ignore=list(spec.ignored_labels),
            low_score_entity_names=[],
        )
        super().__init__(
            models=[{"lang_code": "en", "model_name": str(model_path)}],
            ner_model_configuration=ner,
        )
        self._model_path = Path(model_path)
        self._exclude = list(spec.exclude)
        self._scope = spec.ner_scope
        self._needs_ner = needs_ner or (lambda line: True)

    def load(self) -> None:
        """Load the pipeline from the configured directory (no download, no fallback)."""
        if not (self._model_path / "config.cfg").is_file():
            raise DeidConfigError(
                f"spaCy model directory {self._model_path} has no config.cfg; "
                "set SCRIBE_SPACY_MODEL to an installed model"
            )
        self.nlp = {"en": spacy.load(self._model_path, exclude=self._exclude)}  # type: ignore[assignment]

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokenise `text` and run NER where it is needed."""
        return next(iter(self.process_batch([text], language)))[1]

    def process_batch(  # type: ignore[override]
        self,
        texts: Iterable[Any],
        language: str,
        batch_size: int = 32,
        n_process: int = 1,
        as_tuples: bool = False,
    ) -> Iterator[tuple[Any, NlpArtifacts]]:
        """Like Presidio's, with NER limited to candidate lines (see the module docstring)."""
        if as_tuples:
            raise ValueError("as_tuples is not supported by this engine")
        if not self.nlp:
            raise ValueError("NLP engine is not loaded; call load() first")
        nlp = self.nlp[language]
        texts = [str(text) for text in texts]
        if self._scope == "all":
            for doc in nlp.pipe(texts, batch_size=batch_size):
                yield doc.text, self._doc_to_nlp_artifact(doc, language)
            return
        for doc in self._docs_with_line_ner(nlp, texts, batch_size):
            yield doc.text, self._doc_to_nlp_artifact(doc, language)

    def _docs_with_line_ner(self, nlp: Language, texts: list[str], batch_size: int) -> list[Doc]:
        """Tokenised docs whose entities come from NER run on their candidate lines only."""
        docs = [nlp.make_doc(text) for text in texts]
        jobs = [
            (i, offset, line)
            for i, text in enumerate(texts)
            for offset, line in _segments(text)
            if self._needs_ner(line)
        ]
        found: list[list[Span]] = [[] for _ in docs]
        lines = (line for _, _, line in jobs)
        for (i, offset, _), part in zip(jobs, nlp.pipe(lines, batch_size=batch_size), strict=True):
            for ent in part.ents:
                start, end = offset + ent.start_char, offset + ent.end_char
                span = docs[i].char_span(start, end, label=ent.label_, alignment_mode="expand")
                if span is not None:
                    found[i].append(span)
        for doc, spans in zip(docs, found, strict=True):
            doc.ents = filter_spans(spans)
        return docs

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        """Like Presidio's, without per-token lemmas (no recognizer here uses them)."""
        entities, scores = self._get_updated_entities(
            list(doc.ents), [self.ner_model_configuration.default_score or 0.85] * len(doc.ents)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[],
            lemmas=[],
            nlp_engine=self,
            language=language,
            scores=scores,
        )
