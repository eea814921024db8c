"""The values the de-identifier hands out: detected PHI spans and analysis results."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class PhiSpan:
    """One detected identifier: character offsets (end exclusive) into the analysed text."""

    start: int
    end: int
    entity: str
    score: float = field(compare=False)
    recognizer: str = field(compare=False)
    strong: bool = field(default=False, compare=False)

    def overlaps(self, other: PhiSpan) -> bool:
        """Whether the two spans share at least one character."""
        return self.start < other.end and other.start < self.end

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (no text: callers that may show PHI slice it themselves)."""
        return {
            "type": self.entity,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
            "recognizer": self.recognizer,
        }


@dataclass(frozen=True)
class Token:
    """A word, number or punctuation mark with its offsets."""

    text: str
    start: int
    end: int
    kind: str  # "word", "number" or "punct"

    @property
    def lower(self) -> str:
        """Lower-case text."""
        return self.text.lower()
