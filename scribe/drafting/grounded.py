"""GroundedNoteDrafter: the safe CPU default. Writes only what it extracted from the transcript."""

from __future__ import annotations

import logging
from pathlib import Path

from scribe.contracts import Draft, PatientContext, Provenance, Transcript
from scribe.drafting.clinical_nlp import ClinicalNlp
from scribe.drafting.extraction import FactExtractor, assemble_sections
from scribe.drafting.faithfulness import FaithfulnessChecker
from scribe.drafting.rulebook import rules_version
from scribe.version import code_version

logger = logging.getLogger(__name__)


class GroundedNoteDrafter:
    """Extractive SOAP drafter: clinical NLP facts, each sentence quoting its source segment.

    spaCy (en_core_web_sm + medspaCy ConText) loads once, on the first draft.
    """

    name = "grounded"

    def __init__(
        self,
        spacy_model_path: Path,
        *,
        spacy_model_sha256: str,
        checker: FaithfulnessChecker | None = None,
    ) -> None:
        if checker is not None and checker.nlp.sha256 == spacy_model_sha256:
            self.nlp = checker.nlp  # the same model: load it once
        else:
            self.nlp = ClinicalNlp(Path(spacy_model_path), sha256=spacy_model_sha256)
        self.checker = checker or FaithfulnessChecker(self.nlp)
        self._extractor = FactExtractor()
        self._analyser = self._extractor.analyser(self.nlp)

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        """Draft a note whose every sentence is built from, and linked to, transcript segments."""
        analysis = self._analyser.analyse(transcript)
        facts = self._extractor.extract(analysis)
        draft = Draft(
            sections=assemble_sections(facts),
            drafter=self.name,
            provenance=(self.provenance(),),
        )
        checked = self.checker.check(draft, transcript, analysis=analysis)
        logger.info(
            "grounded draft: %d segments, %d facts, %d sentences",
            len(transcript.segments),
            len(facts),
            len(checked.sentences()),
        )
        return checked

    def provenance(self) -> Provenance:
        """Which model, rules and code produced the draft."""
        return Provenance(
            component="drafting.grounded",
            model_name=self.nlp.name,
            model_sha256=self.nlp.sha256,
            rules_version=rules_version(),
            code_version=code_version(),
            parameters={"pipeline": "en_core_web_sm+medspacy_context"},
        )
