"""API shapes of the service core (`XCreate` in, `XPublic` out)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scribe.contracts import Lab


class StrictModel(BaseModel):
    """Request body that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid")


class PatientCreate(StrictModel):
    """A new patient: the demographics the CMS-HCC model needs."""

    external_id: str | None = Field(default=None, max_length=64, description="e.g. the MRN")
    birth_date: date
    sex: Literal["F", "M"]
    dual_status: Literal["none", "full", "partial"] = "none"
    orec: Literal["aged", "disabled", "esrd", "disabled_esrd"] = "aged"
    institutional: bool = False

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        today = date.today()
        if value > today or (today.year - value.year) > 125:
            raise ValueError("birth_date must be in the past and within 125 years")
        return value


class PatientPublic(PatientCreate):
    """A stored patient."""

    id: str
    created_at: datetime


class VisitContext(StrictModel):
    """What the clinic already knows for this visit (biases transcription, informs coding)."""

    medications: list[str] = Field(default_factory=list, max_length=200)
    problems: list[str] = Field(default_factory=list, max_length=200)
    prior_year_dx: list[str] = Field(default_factory=list, max_length=200)
    labs: list[Lab] = Field(default_factory=list, max_length=500)
    vitals: list[Lab] = Field(default_factory=list, max_length=500)


class EncounterCreate(StrictModel):
    """A new encounter."""

    patient_id: str
    date_of_service: date
    clinician: str = Field(default="", max_length=128)
    context: VisitContext = Field(default_factory=VisitContext)


class EncounterPublic(BaseModel):
    """A stored encounter with its processing status."""

    id: str
    patient_id: str
    clinician: str
    date_of_service: date
    status: str
    context: dict[str, Any]
    created_at: datetime


class RecordingAccepted(BaseModel):
    """Answer to an upload: the stored recording and the job that will process it."""

    recording_id: str
    job_id: str
    sha256: str
    size_bytes: int
    duration_seconds: float
    replayed: bool = Field(description="True when this Idempotency-Key was seen before")


class JobPublic(BaseModel):
    """A job's state."""

    id: str
    kind: str
    encounter_id: str | None
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class NoteSentenceUpdate(BaseModel):
    """One sentence of an edited note; send back the id of a sentence you kept or changed.

    Other keys of a sentence as read (evidence, status, issues) are ignored: evidence links are
    kept by the server for unchanged sentences and never taken from the client.
    """

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=64)
    text: str = Field(min_length=1, max_length=5000)


class NoteSectionUpdate(BaseModel):
    """One section of an edited note."""

    model_config = ConfigDict(extra="ignore")

    key: str = Field(max_length=32)
    title: str | None = Field(default=None, max_length=128)
    sentences: list[NoteSentenceUpdate] = Field(default_factory=list, max_length=500)


class NoteUpdate(StrictModel):
    """A clinician's edit of the newest note version (stored as a new version)."""

    base_version: int = Field(ge=1, description="The version the edit was made on")
    sections: list[NoteSectionUpdate] = Field(max_length=32)
    amendment_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Required when the base version is signed (the edit is an amendment)",
    )


class NoteSignaturePublic(BaseModel):
    """A sign-off of one note version."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    note_id: str
    encounter_id: str
    version: int
    content_sha256: str
    signer: str
    attestation: str
    signed_at: datetime
    amends_signature_id: str | None


class ConsentScriptPublic(BaseModel):
    """The consent script read to the patient now."""

    version: str
    sha256: str
    text: str


class ConsentCreate(StrictModel):
    """Consent to record a visit (`consented_by` is PHI: stored, never logged)."""

    consented_by: str = Field(min_length=1, max_length=128)
    method: Literal["verbal", "written", "signed"]
    script_version: str = Field(min_length=1, max_length=32)


class ConsentPublic(BaseModel):
    """A recorded consent (without the name of who gave it)."""

    id: str
    encounter_id: str
    script_version: str
    script_sha256: str
    method: str
    recorded_by: str
    consented_at: datetime


class CaptureCreate(StrictModel):
    """Start a chunked recording after consent."""

    consent_id: str | None = Field(default=None, max_length=64)
    mime_type: str = Field(default="audio/webm", min_length=1, max_length=128)


class CapturePublic(BaseModel):
    """A capture and what the server holds of it."""

    id: str
    encounter_id: str
    consent_id: str
    status: str
    mime_type: str
    created_at: datetime
    finished_at: datetime | None = None
    recording_id: str | None = None
    received: dict[int, str] = Field(default_factory=dict, description="seq -> sha256")
    missing: list[int] = Field(default_factory=list, description="gaps below the highest seq")
    total_bytes: int = 0


class ChunkAccepted(BaseModel):
    """A chunk the server holds durably (safe to delete on the device)."""

    seq: int
    sha256: str
    size_bytes: int
    replayed: bool


class CaptureFinish(StrictModel):
    """Finish a capture: the last chunk's seq and, optionally, the sha256 of the whole."""

    last_seq: int = Field(ge=0, le=1_000_000)
    total_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")


class CaptureFinished(BaseModel):
    """The recording a finished capture produced and the job that processes it."""

    capture_id: str
    recording_id: str
    job_id: str
    sha256: str
    size_bytes: int
    duration_seconds: float
    replayed: bool


class LiveWordPublic(BaseModel):
    """One word committed live (Whisper's leading space kept), timed in recording seconds."""

    text: str
    start: float
    end: float


class LiveTranscriptPublic(BaseModel):
    """The live machine draft of a capture (PHI): the words from index `since` on."""

    capture_id: str
    enabled: bool = Field(description="whether live transcription is configured on")
    status: str = Field(description="the capture's status: open, finished or abandoned")
    committed_until: float = Field(description="recording seconds up to which words are final")
    audio_seconds: float = Field(description="recording seconds decoded so far")
    words_total: int
    since: int
    words: list[LiveWordPublic] = Field(default_factory=list)
    text: str = Field(default="", description="the new words joined, leading space kept")
