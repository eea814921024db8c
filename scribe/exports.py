"""De-identified exports of an encounter's transcript and note, and audited re-identification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from scribe.audit import record_event
from scribe.db import transaction
from scribe.deid import PresidioDeidentifier, SurrogateSession, export_encounter
from scribe.services import NotFound, draft_from_record, get_encounter_row, load_transcript
from scribe.tables import DeidExportRecord, NoteDraftRecord, TranscriptRecord


@dataclass(frozen=True)
class ExportResult:
    """What may leave the server: the export id and the de-identified texts (no mapping)."""

    export_id: str
    body: dict[str, Any]


def _encounter_texts(engine: Engine, encounter_id: str) -> tuple[str, dict[str, str]]:
    """The patient id and the latest transcript and note texts of an encounter."""
    with transaction(engine) as session:
        encounter = get_encounter_row(session, encounter_id)
        texts: dict[str, str] = {}
        transcript_id = session.exec(
            select(TranscriptRecord.id)
            .where(TranscriptRecord.encounter_id == encounter_id)
            .order_by(col(TranscriptRecord.created_at).desc())
        ).first()
        if transcript_id:
            transcript = load_transcript(session, transcript_id)[1]
            texts["transcript"] = "\n".join(
                f"{segment.speaker}: {segment.text}" for segment in transcript.segments
            )
        note = session.exec(
            select(NoteDraftRecord)
            .where(NoteDraftRecord.encounter_id == encounter_id)
            .order_by(col(NoteDraftRecord.version).desc())
        ).first()
        if note is not None:
            texts["note"] = draft_from_record(note).as_text()
        return encounter.patient_id, texts


def export_deidentified(
    *,
    engine: Engine,
    deidentifier: PresidioDeidentifier,
    encounter_id: str,
    operator: str,
    date_shift_key: bytes,
    actor: str,
) -> ExportResult:
    """De-identify the encounter's texts (slow part outside any transaction), store the mapping.

    Surrogates are consistent across the encounter's texts and dates shift by the patient's own
    interval, so exports of the same patient line up without revealing real dates.
    """
    patient_id, texts = _encounter_texts(engine, encounter_id)
    if not any(text.strip() for text in texts.values()):
        raise NotFound(f"encounter {encounter_id} has no transcript or note to export yet")
    surrogates = (
        SurrogateSession.for_patient(patient_id, secret=date_shift_key)
        if operator == "surrogate"
        else None
    )
    export = export_encounter(
        deidentifier,
        texts,
        operator=operator,
        session=surrogates,  # type: ignore[arg-type]
    )
    with transaction(engine) as session:
        record = DeidExportRecord(
            encounter_id=encounter_id,
            operator=operator,
            mapping=surrogates.to_record() if surrogates else {},
            provenance=export.provenance.model_dump(mode="json"),
            created_by=actor,
        )
        session.add(record)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="export.deidentified",
            patient_id=patient_id,
            encounter_id=encounter_id,
            subject=f"deid_export/{record.id}",
            details={
                "operator": operator,
                "texts": sorted(texts),
                "identifiers": sum(len(item.spans) for item in export.texts),
            },
        )
        body = {
            "export_id": record.id,
            "encounter_id": encounter_id,
            **export.public_dict(),
            "provenance": export.provenance.model_dump(mode="json"),
        }
        return ExportResult(record.id, body)


def reidentify(*, engine: Engine, export_id: str, text: str, actor: str) -> str:
    """Map an export's surrogates in `text` back to the originals (an audited PHI disclosure)."""
    with transaction(engine) as session:
        record = session.get(DeidExportRecord, export_id)
        if record is None or not record.mapping:
            raise NotFound(f"export {export_id} not found or has no surrogate mapping")
        encounter = get_encounter_row(session, record.encounter_id)
        record_event(
            session,
            actor=actor,
            action="export.reidentify",
            patient_id=encounter.patient_id,
            encounter_id=encounter.id,
            subject=f"deid_export/{export_id}",
            details={"characters": len(text)},
        )
        return SurrogateSession.from_record(record.mapping).reidentify(text)
