"""The audit packet of one encounter: what was signed, what was submitted, on which evidence.

`encounter_packet_files` gathers, as files for `scribe.audit_packet.write_packet`:
- `note_signed.txt` and `signatures.json`: each signed version's canonical content, its sha256
  (recomputed and compared with the stored hash), signer, attestation and time;
- `submissions.json` and `bundles/<id>.json`: every submission, its codes with their evidence,
  who accepted each and when, and the FHIR Bundle exactly as stored;
- `suggestions.json`: every suggestion of the encounter with its review status and reason;
- `provenance.json`: models, rules and code-set versions of the transcript, notes and coding;
- `audit_events.jsonl`: the encounter's audit events (each verifiable against its own hash).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from coding.submission import submission_codes
from coding.tables import CodingRun, Submission, SuggestionRecord
from scribe.audit_query import AuditFilter, iter_matching
from scribe.services import get_encounter_row
from scribe.signoff import canonical_note_content, content_sha256
from scribe.tables import NoteDraftRecord, NoteSignature, TranscriptRecord


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()


def _note_text(note: NoteDraftRecord) -> str:
    lines = [f"Note version {note.version}"]
    for section in note.sections:
        lines.append(f"\n{section.get('title') or section.get('name', '')}")
        lines += [f"  {sentence.get('text', '')}" for sentence in section.get("sentences", [])]
    return "\n".join(lines) + "\n"


def _signatures(session: Session, encounter_id: str) -> tuple[list[dict[str, Any]], str]:
    rows = session.exec(
        select(NoteSignature, NoteDraftRecord)
        .join(NoteDraftRecord, col(NoteDraftRecord.id) == col(NoteSignature.note_id))
        .where(NoteSignature.encounter_id == encounter_id)
        .order_by(col(NoteSignature.version))
    ).all()
    signatures, text = [], ""
    for signature, note in rows:
        signatures.append(
            {
                "signature_id": signature.id,
                "version": signature.version,
                "signer": signature.signer,
                "signed_at": signature.signed_at,
                "attestation": signature.attestation,
                "content_sha256": signature.content_sha256,
                "content_matches": content_sha256(note) == signature.content_sha256,
                "amends_signature_id": signature.amends_signature_id,
                "signed_content": json.loads(canonical_note_content(note)),
            }
        )
        text = _note_text(note)
    return signatures, text


def _submissions(session: Session, encounter_id: str) -> tuple[list[dict[str, Any]], dict]:
    rows = session.exec(
        select(Submission)
        .where(Submission.encounter_id == encounter_id)
        .order_by(col(Submission.note_version))
    ).all()
    listed, bundles = [], {}
    for row in rows:
        codes = [
            code.model_dump(exclude={"id", "submission_id"})
            for code in submission_codes(session, row.id)
        ]
        listed.append({**row.model_dump(exclude={"bundle"}), "codes": codes})
        bundles[f"bundles/{row.id}.json"] = _json(row.bundle)
    return listed, bundles


def _provenance(session: Session, encounter_id: str) -> dict[str, Any]:
    transcripts = session.exec(
        select(TranscriptRecord).where(TranscriptRecord.encounter_id == encounter_id)
    ).all()
    notes = session.exec(
        select(NoteDraftRecord)
        .where(NoteDraftRecord.encounter_id == encounter_id)
        .order_by(col(NoteDraftRecord.version))
    ).all()
    runs = session.exec(select(CodingRun).where(CodingRun.encounter_id == encounter_id)).all()
    return {
        "transcripts": [
            row.model_dump(include={"id", "recording_id", "provenance", "created_at"})
            for row in transcripts
        ],
        "notes": [
            {"version": n.version, "drafter": n.drafter, "provenance": n.provenance} for n in notes
        ],
        "coding_runs": [
            row.model_dump(include={"id", "note_id", "code_set_year", "payment_year", "provenance"})
            for row in runs
        ],
    }


def encounter_packet_files(session: Session, encounter_id: str) -> dict[str, bytes]:
    """The packet's files for one encounter (raises NotFound for an unknown encounter)."""
    get_encounter_row(session, encounter_id)
    signatures, note_text = _signatures(session, encounter_id)
    submissions, bundles = _submissions(session, encounter_id)
    suggestions = session.exec(
        select(SuggestionRecord)
        .where(SuggestionRecord.encounter_id == encounter_id)
        .order_by(col(SuggestionRecord.created_at), col(SuggestionRecord.position))
    ).all()
    events = iter_matching(session, AuditFilter(encounter_id=encounter_id))
    return {
        "note_signed.txt": (note_text or "No signed note version.\n").encode(),
        "signatures.json": _json(signatures),
        "submissions.json": _json(submissions),
        **bundles,
        "suggestions.json": _json([row.model_dump() for row in suggestions]),
        "provenance.json": _json(_provenance(session, encounter_id)),
        "audit_events.jsonl": "".join(
            json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n" for event in events
        ).encode(),
    }
