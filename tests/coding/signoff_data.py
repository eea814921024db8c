"""Synthetic encounters, notes and suggestions for the sign-off and submission tests (no models).

Rows are written with the service functions where they exist; the note version is inserted
directly, as the draft job would.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from coding.contracts import EvidenceItem, MeatElement, Suggestion, SuggestionReport
from coding.services import change_status, store_report
from coding.tables import SuggestionRecord
from scribe import services
from scribe.contracts import SECTION_TITLES, NoteSection, NoteSentence, Provenance
from scribe.schemas import EncounterCreate, NoteSectionUpdate, NoteSentenceUpdate, PatientCreate
from scribe.tables import NoteDraftRecord

DOS = date(2026, 3, 15)
NOTE: dict[str, list[tuple[str, str]]] = {
    "hpi": [("hpi-1", "Patient reports numbness in both feet.")],
    "assessment_plan": [
        ("ap-1", "Type 2 diabetes with diabetic polyneuropathy, stable."),
        ("ap-2", "Continue metformin 1000 mg twice daily."),
        ("ap-3", "COPD, using tiotropium daily, no exacerbations."),
    ],
}
NOTE_PROVENANCE = Provenance(
    component="grounded-drafter",
    model_name="en_core_web_sm",
    model_sha256="a" * 64,
    rules_version="drafting-3",
    code_version="test",
)
CODING_PROVENANCE = Provenance(
    component="medspacy-suggester",
    model_name="en_core_web_sm",
    model_sha256="a" * 64,
    rules_version="coding-7",
    code_version="test",
)


def make_encounter(session: Session, *, actor: str = "test") -> str:
    """A patient and an encounter; returns the encounter id."""
    patient = services.create_patient(
        session=session,
        data=PatientCreate(birth_date=date(1954, 6, 1), sex="F", external_id="MRN-0001"),
        actor=actor,
    )
    encounter = services.create_encounter(
        session=session,
        data=EncounterCreate(patient_id=patient.id, date_of_service=DOS, clinician="Dr Synthetic"),
        actor=actor,
    )
    return encounter.id


def store_note(session: Session, encounter_id: str) -> NoteDraftRecord:
    """Version 1 of the note, as the draft job stores it (each sentence with evidence)."""
    sections = [
        NoteSection(
            key=key,
            title=SECTION_TITLES[key],
            sentences=tuple(
                NoteSentence(
                    id=sentence_id,
                    text=text,
                    evidence=({"segment_id": 1, "score": 0.9, "method": "lexical"},),  # type: ignore[arg-type]
                )
                for sentence_id, text in sentences
            ),
        )
        for key, sentences in NOTE.items()
    ]
    note = NoteDraftRecord(
        encounter_id=encounter_id,
        version=services.next_note_version(session, encounter_id),
        drafter="grounded",
        sections=[section.model_dump(mode="json") for section in sections],
        provenance=[NOTE_PROVENANCE.model_dump(mode="json")],
        created_by="system:worker",
    )
    session.add(note)
    session.flush()
    return note


def _note_item(ref: str, quote: str) -> EvidenceItem:
    return EvidenceItem(source="note_sentence", ref=ref, start=0, end=len(quote), quote=quote)


def suggestion(
    icd10: str,
    *,
    kind: str = "supported",
    evidence: tuple[tuple[str, str], ...] = (),
    meat: tuple[tuple[str, str, str], ...] = (),
) -> Suggestion:
    """A suggestion with note-sentence evidence `(ref, quote)` and MEAT `(kind, ref, quote)`."""
    return Suggestion(
        id=f"{kind}-{icd10}",
        kind=kind,  # type: ignore[arg-type]
        family="test",
        label=icd10,
        icd10=icd10,
        description=f"description of {icd10}",
        hcc_v28=("37",) if icd10.startswith("E11") else ("280",),
        evidence=tuple(_note_item(ref, quote) for ref, quote in evidence),
        meat=tuple(
            MeatElement(kind=letter, cue=quote, evidence=_note_item(ref, quote))  # type: ignore[arg-type]
            for letter, ref, quote in meat
        ),
        rule_id="test.rule",
        rules_version="coding-7",
        code_set_year="FY2026",
        confidence=0.9,
    )


DIABETES = suggestion(
    "E11.42",
    evidence=(("ap-1", "Type 2 diabetes with diabetic polyneuropathy"),),
    meat=(("A", "ap-1", "stable"), ("T", "ap-2", "Continue metformin")),
)
COPD = suggestion("J44.9", evidence=(("ap-3", "COPD"),), meat=(("T", "ap-3", "using tiotropium"),))
AFIB_PROMPT = suggestion("I48.91", kind="undocumented", evidence=(("hpi-1", "numbness"),))


def store_suggestions(
    session: Session, note: NoteDraftRecord, *items: Suggestion
) -> list[SuggestionRecord]:
    """Store suggestions computed from `note` (one coding run) and return their rows."""
    store_report(
        session=session,
        report=SuggestionReport(
            date_of_service=DOS,
            code_set_year="FY2026",
            payment_year=2026,
            suggestions=items,
            provenance=CODING_PROVENANCE,
        ),
        encounter_id=note.encounter_id,
        note_id=note.id,
        note_version=note.version,
        job_id=None,
        actor="system:worker",
    )
    return list(
        session.exec(
            select(SuggestionRecord)
            .where(SuggestionRecord.note_id == note.id)
            .order_by(col(SuggestionRecord.position))
        ).all()
    )


def accept(session: Session, row: SuggestionRecord, actor: str = "user:dr") -> None:
    """Accept a suggestion (audited, as the review page does)."""
    change_status(
        session=session, suggestion_id=row.id, status="accepted", reason=None, actor=actor
    )


def edit_of(
    note: NoteDraftRecord, replace: dict[str, str] | None = None
) -> list[NoteSectionUpdate]:
    """The note's sections as an edit, with the sentences named in `replace` given new text."""
    return [
        NoteSectionUpdate(
            key=section["key"],
            sentences=[
                NoteSentenceUpdate(
                    id=item["id"], text=(replace or {}).get(item["id"], item["text"])
                )
                for item in section["sentences"]
            ],
        )
        for section in note.sections
    ]
