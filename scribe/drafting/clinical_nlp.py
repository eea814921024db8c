"""Clinical NLP adapter: en_core_web_sm + medspaCy target matcher + ConText.

Only the target matcher and ConText are added on top of the spaCy model (the default
`medspacy.load` pipeline crashes on a parsed doc); the model's own NER is excluded because it
swallows targets such as "type 2 diabetes". spaCy and medspaCy are imported lazily here only.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scribe.drafting.lexicon import term_pattern
from scribe.drafting.rulebook import ClinicalLexicon, clinical_lexicon, grounded_rules

logger = logging.getLogger(__name__)

_CATEGORIES = {"SYMPTOM": "symptom", "CONDITION": "condition"}


@dataclass(frozen=True)
class Mention:
    """A symptom or condition mention with its ConText modifiers (offsets into the text)."""

    name: str
    category: str
    start: int
    end: int
    text: str
    negated: bool = False
    family: bool = False
    hypothetical: bool = False
    historical: bool = False
    uncertain: bool = False

    @property
    def asserted(self) -> bool:
        """True when the patient is said to have it now (not negated, family, hypothetical...)."""
        return not (self.negated or self.family or self.hypothetical or self.uncertain)


class ClinicalNlp:
    """spaCy + medspaCy ConText over short texts; the model loads once, on first use."""

    def __init__(self, model_path: Path, *, sha256: str, name: str = "en-core-web-sm") -> None:
        self.model_path = Path(model_path)
        self.sha256 = sha256
        self.name = name
        self._nlp: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._nlp is None:
                self._nlp = _build_pipeline(self.model_path, clinical_lexicon())
                logger.info("clinical NLP loaded: %s", self.name)
        return self._nlp

    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Symptom/condition mentions for each text, with negation and other modifiers."""
        nlp = self._load()
        with warnings.catch_warnings():
            # spaCy warns (W036) when a ConText matcher has no rule for a short text
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            docs = list(nlp.pipe(texts, batch_size=64))
        return [[_mention(ent) for ent in doc.ents] for doc in docs]

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans from the dependency parser (for text without punctuation)."""
        nlp = self._load()
        keep = {"tok2vec", "parser"}
        with nlp.select_pipes(disable=[name for name in nlp.pipe_names if name not in keep]):
            doc = nlp(text)
        return [(sent.start_char, sent.end_char) for sent in doc.sents]


def _quiet_loguru() -> None:
    """PyRuSH logs a debug line per document through loguru unless told otherwise."""
    try:
        import sys

        from loguru import logger as loguru_logger
    except ImportError:
        return
    loguru_logger.remove()
    loguru_logger.add(sys.stderr, level="WARNING")


def _build_pipeline(model_path: Path, lexicon: ClinicalLexicon) -> Any:
    import spacy

    _quiet_loguru()
    import medspacy  # noqa: F401  (registers the medspaCy factories)
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule

    nlp = spacy.load(model_path, exclude=["ner"])
    matcher: Any = nlp.add_pipe("medspacy_target_matcher")
    rules = []
    for label, concepts in (("SYMPTOM", lexicon.symptoms), ("CONDITION", lexicon.conditions)):
        for concept in concepts:
            for term in concept.terms:
                rules.append(
                    TargetRule(
                        concept.name,
                        label,
                        pattern=term_pattern(term),
                        metadata={"concept": concept.name},
                    )
                )
    matcher.add(rules)
    context: Any = nlp.add_pipe("medspacy_context")
    context.add([ConTextRule(**rule) for rule in grounded_rules().context_rules])
    return nlp


def _mention(ent: Any) -> Mention:
    categories = {modifier.category for modifier in ent._.modifiers}
    return Mention(
        name=ent._.target_rule.metadata["concept"],
        category=_CATEGORIES.get(ent.label_, ent.label_.lower()),
        start=ent.start_char,
        end=ent.end_char,
        text=ent.text,
        negated="NEGATED_EXISTENCE" in categories,
        family="FAMILY" in categories,
        hypothetical="HYPOTHETICAL" in categories,
        historical="HISTORICAL" in categories,
        uncertain="POSSIBLE_EXISTENCE" in categories,
    )
