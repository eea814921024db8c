"""Frozen values the pipeline stages hand each other.

No database or web imports here: the ML code and its tests depend only on these shapes.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

SpeakerRole = Literal["clinician", "patient", "unknown"]
SentenceStatus = Literal["supported", "unsupported"]
SentenceAuthor = Literal["drafter", "clinician"]
EvidenceMethod = Literal["extraction", "lexical", "semantic"]

SECTION_TITLES: dict[str, str] = {
    "chief_complaint": "Chief complaint",
    "hpi": "History of present illness",
    "ros": "Review of systems",
    "exam": "Physical exam",
    "results": "Results",
    "assessment_plan": "Assessment and plan",
    "instructions": "Patient instructions",
}
"""SOAP sections in note order (key -> display title)."""


class Frozen(BaseModel):
    """Immutable value with unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(Frozen):
    """Which component, model and rules produced an output."""

    component: str
    model_name: str | None = None
    model_sha256: str | None = None
    rules_version: str | None = None
    code_version: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class Word(Frozen):
    """One recognised word with its timing in seconds."""

    text: str
    start: float
    end: float
    probability: float = 1.0


class Segment(Frozen):
    """A stretch of speech by one speaker."""

    id: int
    start: float
    end: float
    text: str
    speaker: SpeakerRole = "unknown"
    words: tuple[Word, ...] = ()


class Transcript(Frozen):
    """The transcript of one recording."""

    segments: tuple[Segment, ...]
    language: str = "en"
    duration: float = 0.0
    notices: tuple[str, ...] = ()
    provenance: tuple[Provenance, ...] = ()

    @property
    def text(self) -> str:
        """All segment texts joined by newlines."""
        return "\n".join(segment.text for segment in self.segments)


class Evidence(Frozen):
    """A link from a note sentence to a transcript segment that supports it."""

    segment_id: int
    score: float
    method: EvidenceMethod
    quote: str = ""


class NoteSentence(Frozen):
    """One sentence of a draft note with its evidence and faithfulness verdict."""

    id: str
    text: str
    evidence: tuple[Evidence, ...] = ()
    status: SentenceStatus = "supported"
    issues: tuple[str, ...] = ()
    author: SentenceAuthor = "drafter"
    """Who wrote the text: the drafter (machine, evidence-checked) or the clinician (an edit)."""


class NoteSection(Frozen):
    """A SOAP section: a key from SECTION_TITLES and its sentences."""

    key: str
    title: str
    sentences: tuple[NoteSentence, ...] = ()


class Draft(Frozen):
    """A draft note: sections in order, plus what produced it."""

    sections: tuple[NoteSection, ...]
    drafter: str
    provenance: tuple[Provenance, ...] = ()

    def sentences(self) -> list[NoteSentence]:
        """Every sentence of the note in order."""
        return [sentence for section in self.sections for sentence in section.sentences]

    def as_text(self) -> str:
        """The note as plain text with section headings."""
        blocks = []
        for section in self.sections:
            if section.sentences:
                body = " ".join(sentence.text for sentence in section.sentences)
                blocks.append(f"{section.title.upper()}\n{body}")
        return "\n\n".join(blocks)


class Lab(Frozen):
    """A lab result from the patient's record."""

    name: str
    value: float
    unit: str = ""
    date: str | None = None


class PatientContext(Frozen):
    """Patient context supplied with a visit (the JSON `scribe process --patient-json` reads)."""

    age: int = Field(ge=0, le=130)
    sex: Literal["F", "M"]
    dual: Literal["none", "full", "partial"] = "none"
    institutional: bool = False
    orec: Literal["aged", "disabled", "esrd", "disabled_esrd"] = "aged"
    medications: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    prior_year_dx: tuple[str, ...] = ()
    labs: tuple[Lab, ...] = ()
    vitals: tuple[Lab, ...] = ()
    """Vital signs and measurements (e.g. BMI), same shape as labs."""


class Transcriber(Protocol):
    """Turns audio samples into a transcript."""

    def transcribe(self, audio: Any, *, hotwords: tuple[str, ...] = ()) -> Transcript:
        """Transcribe 16 kHz mono float32 samples; `hotwords` bias the decoder."""
        ...


class NoteDrafter(Protocol):
    """Drafts a SOAP note from a transcript."""

    name: str

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        """Return a draft whose every sentence carries evidence links or is marked unsupported."""
        ...
