"""Evidence items pointing back into the note, the transcript and the patient context."""

from __future__ import annotations

from dataclasses import dataclass, field

from coding.contracts import ContextFlag, EvidenceItem, EvidenceSource, MeatElement, SuggestionKind
from coding.documents import Layout
from coding.meat import Cue
from coding.nlp import Analysis, Mention
from coding.queries import clip

QUOTE_LIMIT = 300


@dataclass
class Pending:
    """A suggestion before its HCCs and RAF deltas are known."""

    kind: SuggestionKind
    family: str
    label: str
    icd10: str | None
    rule_id: str
    confidence: float
    evidence: list[EvidenceItem] = field(default_factory=list)
    meat: list[MeatElement] = field(default_factory=list)
    flags: tuple[ContextFlag, ...] = ()
    section: str | None = None
    alternatives: tuple[str, ...] = ()
    query_text: str | None = None
    replaces: str | None = None

    def add_evidence(self, items: list[EvidenceItem]) -> None:
        """Append evidence items not already present."""
        for item in items:
            if item not in self.evidence:
                self.evidence.append(item)


def span_evidence(layout: Layout, start: int, end: int) -> EvidenceItem:
    """Evidence for a span of the laid-out text; the quote is exactly the unit text there."""
    unit, local_start, local_end = layout.locate(start, end)
    quote = unit.text[local_start:local_end]
    if len(quote) > QUOTE_LIMIT:
        local_end = local_start + QUOTE_LIMIT
        quote = unit.text[local_start:local_end]
    return EvidenceItem(
        source=unit.source, ref=unit.ref, start=local_start, end=local_end, quote=quote
    )


def sentence_evidence(layout: Layout, analysis: Analysis, mention: Mention) -> EvidenceItem:
    """Evidence for the sentence holding a mention, trimmed of surrounding whitespace."""
    start, end = analysis.sentences[mention.sentence]
    text = analysis.text[start:end]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    unit, _, _ = layout.locate(mention.start, mention.end)
    start = max(start, unit.offset)
    end = min(end, unit.offset + len(unit.text))
    return span_evidence(layout, start, max(end, start))


def meat_elements(layout: Layout, cues: list[Cue]) -> list[MeatElement]:
    """MEAT elements with their evidence."""
    return [
        MeatElement(kind=cue.kind, cue=cue.cue, evidence=span_evidence(layout, cue.start, cue.end))  # type: ignore[arg-type]
        for cue in cues
    ]


def context_evidence(source: EvidenceSource, ref: str, text: str) -> EvidenceItem:
    """Evidence for a patient-context entry (medication, lab, prior-year or problem-list)."""
    quote = clip(text, QUOTE_LIMIT)
    return EvidenceItem(source=source, ref=ref, start=0, end=len(quote), quote=quote)


def flags_of(mention: Mention) -> tuple[ContextFlag, ...]:
    """The ConText flags of a mention in a stable order."""
    order: tuple[ContextFlag, ...] = (
        "negated",
        "historical",
        "family",
        "hypothetical",
        "uncertain",
        "question",
    )
    return tuple(flag for flag in order if flag in mention.flags)
