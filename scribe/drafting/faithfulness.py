"""Faithfulness check applied to every draft: is each sentence supported by the transcript?

For each sentence: medications (lexicon and drug-like words), doses (and which drug they belong
to), other numbers, laterality, and conditions/symptoms with their negation are compared with the
transcript: first the sentence's evidence segments, then the whole transcript (a number may be
said elsewhere). Anything unsupported marks the sentence `unsupported` with readable issues.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scribe.contracts import Draft, NoteSection, NoteSentence, SentenceStatus, Transcript
from scribe.drafting.checks import StatementReader, Statements
from scribe.drafting.clinical_nlp import ClinicalNlp, Mention
from scribe.drafting.dialogue import DialogueAnalyser, TranscriptAnalysis
from scribe.drafting.lexicon import DrugLexicon, default_drug_lexicon
from scribe.drafting.rulebook import grounded_rules
from scribe.drafting.text import SpokenCleaner

logger = logging.getLogger(__name__)

NO_EVIDENCE = "no supporting transcript segment"


@dataclass(frozen=True)
class TranscriptView:
    """The transcript as the checks see it: statements overall and per segment, findings."""

    overall: Statements
    segments: dict[int, Statements]
    analysis: TranscriptAnalysis
    mentioned: frozenset[str]


class FaithfulnessChecker:
    """Marks draft sentences unsupported when they state what the transcript does not."""

    def __init__(self, nlp: ClinicalNlp, *, drugs: DrugLexicon | None = None) -> None:
        self.nlp = nlp
        self._drugs = drugs or default_drug_lexicon()
        self._reader = StatementReader(self._drugs, SpokenCleaner())
        self._analyser = DialogueAnalyser(nlp, grounded_rules())

    def view(
        self, transcript: Transcript, analysis: TranscriptAnalysis | None = None
    ) -> TranscriptView:
        """Read a transcript once for checking (reuse `analysis` when the caller has one)."""
        analysis = analysis or self._analyser.analyse(transcript)
        segments = {s.id: self._reader.read(s.text) for s in transcript.segments}
        mentioned = frozenset(m.name for chunk in analysis.chunks for m in chunk.mentions)
        return TranscriptView(self._reader.read(transcript.text), segments, analysis, mentioned)

    def check(
        self, draft: Draft, transcript: Transcript, *, analysis: TranscriptAnalysis | None = None
    ) -> Draft:
        """The draft with every sentence's status and issues set."""
        view = self.view(transcript, analysis)
        sentences = draft.sentences()
        mentions = self.nlp.mentions([sentence.text for sentence in sentences])
        verdicts = {
            sentence.id: self.check_sentence(sentence, view, found)
            for sentence, found in zip(sentences, mentions, strict=True)
        }
        sections = tuple(
            NoteSection(
                key=section.key,
                title=section.title,
                sentences=tuple(verdicts[s.id] for s in section.sentences),
            )
            for section in draft.sections
        )
        flagged = sum(1 for s in verdicts.values() if s.status == "unsupported")
        logger.info("faithfulness: %d of %d sentences unsupported", flagged, len(verdicts))
        return Draft(sections=sections, drafter=draft.drafter, provenance=draft.provenance)

    def check_sentence(
        self, sentence: NoteSentence, view: TranscriptView, mentions: list[Mention]
    ) -> NoteSentence:
        """One sentence with its status and issues set."""
        issues = [] if sentence.evidence else [NO_EVIDENCE]
        said = self._reader.read(sentence.text)
        linked = [
            view.segments[e.segment_id] for e in sentence.evidence if e.segment_id in view.segments
        ]
        issues += self._medications(sentence.text, said, view)
        issues += self._doses(said, view)
        issues += _numbers(said, view)
        issues += _laterality(said, view, linked)
        issues += _findings(mentions, view)
        status: SentenceStatus = "unsupported" if issues else "supported"
        return NoteSentence(
            id=sentence.id,
            text=sentence.text,
            evidence=sentence.evidence,
            status=status,
            issues=tuple(dict.fromkeys(issues)),
        )

    def _medications(self, text: str, said: Statements, view: TranscriptView) -> list[str]:
        issues = [
            f"medication '{drug}' not mentioned in the transcript"
            for drug in sorted(said.drugs - view.overall.drugs)
        ]
        for hit in self._drugs.drug_like(self._reader.normalise(text)):
            if hit.name not in view.overall.words:
                issues.append(f"possible medication '{hit.text}' not mentioned in the transcript")
        return issues

    def _doses(self, said: Statements, view: TranscriptView) -> list[str]:
        issues = []
        for dose in sorted(said.doses, key=str):
            if dose not in view.overall.doses:
                issues.append(f"dose '{dose}' not in the transcript")
        for drug, dose in sorted(said.drug_doses, key=str):
            if dose in view.overall.doses and (drug, dose) not in view.overall.drug_doses:
                issues.append(f"dose '{dose}' of {drug} not stated in the transcript")
        return issues


def _numbers(said: Statements, view: TranscriptView) -> list[str]:
    dose_values = {dose.value for dose in said.doses}
    missing = sorted(said.numbers - view.overall.numbers - dose_values)
    return [f"number '{number}' not in the transcript" for number in missing]


def _laterality(said: Statements, view: TranscriptView, linked: list[Statements]) -> list[str]:
    issues = []
    for side, part in sorted(said.sides):
        if (side, part) in view.overall.sides:
            continue
        if any(side in segment.words for segment in linked) and not any(
            p == part for _, p in view.overall.sides
        ):
            continue
        others = sorted({s for s, p in view.overall.sides if p == part and s != side})
        if others:
            issues.append(f"laterality flipped: transcript says {others[0]} {part}")
        else:
            issues.append(f"laterality '{side} {part}' not in the transcript")
    return issues


def _findings(mentions: list[Mention], view: TranscriptView) -> list[str]:
    issues = []
    for mention in mentions:
        if mention.family or mention.hypothetical or mention.uncertain:
            continue
        if mention.name not in view.mentioned:
            issues.append(f"{mention.category} '{mention.name}' not mentioned in the transcript")
            continue
        polarity = view.analysis.polarity(mention.name)
        if not mention.negated and polarity == {False}:
            issues.append(f"negation flipped: transcript says no {mention.name}")
        elif mention.negated and polarity == {True}:
            issues.append(f"negation flipped: transcript reports {mention.name}")
    return issues
