"""Objective facts: vital signs, physical exam findings and results the clinician reviews."""

from __future__ import annotations

import re

from scribe.drafting.dialogue import Chunk, TranscriptAnalysis
from scribe.drafting.facts import Fact, Toolkit, chunk_fact, dedupe

PROCEDURAL = re.compile(
    r"\b(?:let me|let's|i'm going to|i am going to|going to (?:take|check|examine|listen|do)|"
    r"(?:i|we) (?:just )?(?:want|wan na|need) to (?:take|check|examine|look|go|do)|i'd like to|"
    r"go ahead and|can you|could you|i'll let you know|let you know what i find|"
    r"what does (?:that|all that) mean|take a (?:quick )?(?:look|listen)|^\W*(?:and )?look at)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_RESULT_VERB = re.compile(
    r"\b(?:came back|shows?|showed|shown|revealed?|demonstrated?|was (?:normal|elevated|high|low)|"
    r"were (?:normal|elevated|high|low)|is (?:normal|elevated|high|low)|results?)\b",
    re.IGNORECASE,
)


class ObjectiveExtractor:
    """Builds vitals, exam and results facts from the clinician's speech."""

    def __init__(self, kit: Toolkit) -> None:
        self._kit = kit
        self._vitals = [(kit.pattern(p), template) for p, template in kit.rules.vital_patterns]
        self._exam_cue = re.compile(r"\bon (?:the |your )?\w+ exam(?:ination)?\b", re.IGNORECASE)

    def extract(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Vitals, exam findings and results, each quoting the sentence it came from."""
        clinician = [
            chunk
            for chunk in analysis.chunks
            if chunk.speaker == "clinician" and not chunk.ignored and not chunk.is_question
        ]
        return self.vitals(clinician) + self.exam(clinician) + self.results(clinician)

    def vitals(self, chunks: list[Chunk]) -> list[Fact]:
        """Measured vital signs ("Blood pressure 138/82.")."""
        facts = []
        for chunk in chunks:
            tidy = self._kit.cleaner.tidy(chunk.text).lower()
            for pattern, template in self._vitals:
                match = pattern.search(tidy)
                if match:
                    text = template.format(**match.groupdict())
                    facts.append(chunk_fact("exam", text, chunk, "vital", key=text.split()[0]))
        return dedupe(facts)

    def exam(self, chunks: list[Chunk]) -> list[Fact]:
        """Exam findings the clinician states while examining."""
        facts = []
        for chunk in chunks:
            in_exam = chunk.region == "exam" or self._exam_cue.search(chunk.text)
            if not in_exam or PROCEDURAL.search(chunk.text):
                continue
            if not self._kit.exam_vocab.search(chunk.text):
                continue
            sentence = self._kit.clinician_sentence(chunk.text)
            if self._kit.fits(sentence):
                facts.append(chunk_fact("exam", sentence, chunk, "exam"))
        return dedupe(facts)[: self._kit.rules.limit("exam_sentences")]

    def results(self, chunks: list[Chunk]) -> list[Fact]:
        """Results reviewed: imaging, labs and other tests."""
        facts = []
        for chunk in chunks:
            if chunk.region == "plan" or PROCEDURAL.search(chunk.text):
                continue
            if not (chunk.region == "results" or self._reports_result(chunk.text)):
                continue
            has_test = self._kit.result_vocab.search(chunk.text) or self._kit.labs.find(chunk.text)
            if not (has_test or _NUMBER.search(self._kit.cleaner.tidy(chunk.text))):
                continue
            sentence = self._kit.clinician_sentence(chunk.text)
            if self._kit.fits(sentence):
                facts.append(chunk_fact("results", sentence, chunk, "result"))
        return dedupe(facts)[: self._kit.rules.limit("result_sentences")]

    def _reports_result(self, text: str) -> bool:
        """A test named together with a finding verb ("your A1c came back at 7.2")."""
        named = self._kit.result_vocab.search(text) or self._kit.labs.find(text)
        return bool(named) and bool(_RESULT_VERB.search(text))
