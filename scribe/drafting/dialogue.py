"""Transcript analysis: sentences with speaker and visit phase, mentions, and Q/A-aware findings.

A symptom the clinician asks about ("any chest pain?") and the patient denies ("no.") is a
negative finding even though neither sentence alone says so; ConText alone cannot see that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from scribe.contracts import Evidence, Segment, Transcript
from scribe.drafting.clinical_nlp import ClinicalNlp, Mention
from scribe.drafting.rulebook import GroundedRules
from scribe.drafting.text import sentence_spans

REGIONS = ("history", "exam", "results", "plan")


@dataclass(frozen=True)
class Chunk:
    """One sentence of a segment, where it sits in the visit and what it mentions."""

    index: int
    segment_id: int
    speaker: str
    start: int
    end: int
    text: str
    region: str
    is_question: bool
    ignored: bool
    mentions: tuple[Mention, ...] = ()

    def evidence(self, score: float = 1.0) -> Evidence:
        """Extraction evidence quoting this exact sentence."""
        return Evidence(
            segment_id=self.segment_id, score=score, method="extraction", quote=self.text
        )


@dataclass(frozen=True)
class Finding:
    """A symptom or condition found present or absent, with the sentences that say so."""

    name: str
    category: str
    present: bool
    chunk_index: int
    evidence: tuple[Evidence, ...]
    historical: bool = False
    source: str = "statement"


@dataclass(frozen=True)
class TranscriptAnalysis:
    """Everything the extractors need from one transcript."""

    chunks: tuple[Chunk, ...]
    findings: tuple[Finding, ...]
    segments: dict[int, Segment] = field(default_factory=dict)

    def polarity(self, name: str) -> set[bool]:
        """{True}, {False} or both: whether `name` was found present and/or absent."""
        return {finding.present for finding in self.findings if finding.name == name}

    def turn_chunks(self, segment_id: int) -> list[Chunk]:
        """The chunks of one segment, in order."""
        return [chunk for chunk in self.chunks if chunk.segment_id == segment_id]


class DialogueAnalyser:
    """Splits a transcript into chunks, runs clinical NLP and resolves questions and answers."""

    def __init__(self, nlp: ClinicalNlp, rules: GroundedRules) -> None:
        self._nlp = nlp
        flags = re.IGNORECASE
        self._ignore = [re.compile(pattern, flags) for pattern in rules.ignore_patterns]
        self._question = re.compile(rules.question_pattern, flags)
        self._question_tag = re.compile(rules.question_tag_pattern, flags)
        self._wake_word = re.compile(rules.wake_word_pattern, flags)
        self._split = re.compile(rules.split_pattern, flags)
        self._long = rules.limit("long_sentence_words")
        self._negative = re.compile(rules.negative_answer, flags)
        self._positive = re.compile(rules.positive_answer, flags)
        self._regions = {
            region: [re.compile(pattern, flags) for pattern in patterns]
            for region, patterns in rules.region_cues.items()
        }

    def analyse(self, transcript: Transcript) -> TranscriptAnalysis:
        """Chunks with mentions and the symptom/condition findings of the visit."""
        chunks = _fallback_plan(self._chunks(transcript.segments))
        mentions = self._nlp.mentions([chunk.text for chunk in chunks])
        chunks = [
            _with_mentions(chunk, found) for chunk, found in zip(chunks, mentions, strict=True)
        ]
        findings = self._statement_findings(chunks) + self._answer_findings(chunks)
        return TranscriptAnalysis(
            chunks=tuple(chunks),
            findings=tuple(findings),
            segments={segment.id: segment for segment in transcript.segments},
        )

    def _chunks(self, segments: Sequence[Segment]) -> list[Chunk]:
        chunks: list[Chunk] = []
        region = "history"
        for segment in segments:
            command = False  # the sentence after a wake word is a voice command
            for start, end in self._sentences(segment.text):
                text = segment.text[start:end]
                if segment.speaker == "clinician":
                    region = self._region(text, region)
                ignored = command or any(pattern.search(text) for pattern in self._ignore)
                command = bool(self._wake_word.search(text))
                chunks.append(
                    Chunk(
                        index=len(chunks),
                        segment_id=segment.id,
                        speaker=segment.speaker,
                        start=start,
                        end=end,
                        text=text,
                        region=region,
                        is_question=self._is_question(text),
                        ignored=ignored,
                    )
                )
        return chunks

    def _sentences(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans; long unpunctuated stretches are split by the parser, then at
        discourse markers ("so", "okay", "i want")."""
        spans = []
        for start, end in sentence_spans(text):
            if len(text[start:end].split()) <= self._long:
                spans.append((start, end))
                continue
            for sub_start, sub_end in self._nlp.sentence_spans(text[start:end]):
                spans += self._split_at_markers(text, start + sub_start, start + sub_end)
        return spans

    def _split_at_markers(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        if len(text[start:end].split()) <= self._long:
            return [(start, end)]
        cuts = [start]
        for match in self._split.finditer(text, start, end):
            if len(text[cuts[-1] : match.start()].split()) >= 6:
                cuts.append(match.end())
        bounds = [*cuts, end]
        return [
            (a, b)
            for a, b in (_trim(text, bounds[i], bounds[i + 1]) for i in range(len(cuts)))
            if b > a
        ]

    def _is_question(self, text: str) -> bool:
        """A real question; a tag such as ", okay?" does not make a statement a question."""
        stripped = self._question_tag.sub("", text).strip()
        return bool(stripped) and bool(self._question.search(stripped))

    def _region(self, text: str, current: str) -> str:
        if current == "plan":
            return current
        for region in ("plan", "exam", "results"):
            if any(pattern.search(text) for pattern in self._regions.get(region, [])):
                return region
        return current

    def _statement_findings(self, chunks: Sequence[Chunk]) -> list[Finding]:
        findings = []
        for chunk in chunks:
            if chunk.ignored or chunk.is_question:
                continue
            for mention in chunk.mentions:
                if mention.family or mention.hypothetical or mention.uncertain:
                    continue
                findings.append(
                    Finding(
                        mention.name,
                        mention.category,
                        not mention.negated,
                        chunk.index,
                        (chunk.evidence(),),
                        historical=mention.historical,
                        source=f"{chunk.speaker}-statement",
                    )
                )
        return findings

    def _answer_findings(self, chunks: Sequence[Chunk]) -> list[Finding]:
        """Symptoms asked about by the clinician and answered yes or no by the patient."""
        findings = []
        for question, answer in self._question_answer_pairs(chunks):
            asked = [m for m in question.mentions if m.category == "symptom" and not m.negated]
            if not asked or any(m.category == "symptom" for m in answer.mentions):
                continue
            present = self._answer_polarity(answer.text, len({m.name for m in asked}))
            if present is None:
                continue
            evidence = (question.evidence(), answer.evidence())
            for mention in asked:
                findings.append(
                    Finding(
                        mention.name,
                        mention.category,
                        present,
                        answer.index,
                        evidence,
                        source="answer",
                    )
                )
        return findings

    def _question_answer_pairs(self, chunks: Sequence[Chunk]) -> list[tuple[Chunk, Chunk]]:
        pairs = []
        for position, chunk in enumerate(chunks):
            if chunk.speaker != "clinician" or not chunk.is_question or chunk.ignored:
                continue
            answer = _first_reply(chunks, position)
            if answer is not None:
                pairs.append((chunk, answer))
        return pairs

    def _answer_polarity(self, answer: str, asked_count: int) -> bool | None:
        if self._negative.search(answer):
            return False
        if self._positive.search(answer) and asked_count == 1:
            return True
        return None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fallback_plan(chunks: list[Chunk], share: float = 0.35) -> list[Chunk]:
    """Without a plan cue, the turns after the last exam/results talk (or the last third) are
    taken as the plan."""
    if not chunks or any(chunk.region == "plan" for chunk in chunks):
        return chunks
    objective = [c.index for c in chunks if c.region in ("exam", "results")]
    start = objective[-1] + 1 if objective else int(len(chunks) * (1 - share))
    if start >= len(chunks):
        start = int(len(chunks) * (1 - share))
    return [replace(chunk, region="plan") if chunk.index >= start else chunk for chunk in chunks]


def _first_reply(chunks: Sequence[Chunk], position: int) -> Chunk | None:
    """The patient's first sentence after the clinician turn holding chunks[position]."""
    segment_id = chunks[position].segment_id
    for later in chunks[position + 1 :]:
        if later.segment_id == segment_id:
            if not later.is_question and later.speaker == "clinician":
                return None
            continue
        return later if later.speaker == "patient" else None
    return None


def _with_mentions(chunk: Chunk, mentions: list[Mention]) -> Chunk:
    return Chunk(
        index=chunk.index,
        segment_id=chunk.segment_id,
        speaker=chunk.speaker,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        region=chunk.region,
        is_question=chunk.is_question,
        ignored=chunk.ignored,
        mentions=tuple(mentions),
    )
