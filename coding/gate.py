"""Which accepted codes a signed note version supports (the sign-off gate's rule).

A suggestion *supports* signed note version V when all of these hold:

1. it belongs to V's encounter, is accepted, has an ICD-10-CM code and is of kind `supported`
   (the engine found the condition documented in the note with MEAT; `undocumented`,
   `specificity` and `recapture` suggestions are prompts to document, not codes);
2. it was computed from a version of this note no later than V (`note_version <= V`);
3. it carries at least one MEAT element whose evidence is a note sentence; and
4. every note-sentence evidence quote it carries (its evidence and its MEAT elements) still
   appears, whitespace-normalised, in V: in the sentence with the same id (sentence ids survive
   edits for unchanged and edited sentences), or anywhere in V's text for a plain-text ref
   (`ref == "note"`).

A code is submittable when at least one accepted suggestion for that code supports V; if any
accepted code has none, the submission is refused (Conflict) naming the codes, so the clinician
rejects or defers them, or amends the note, re-signs it and re-runs coding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from coding.tables import CodingRun, SubmissionCode, SuggestionRecord
from scribe.services import Conflict
from scribe.tables import NoteDraftRecord

__all__ = ["Chosen", "choose_codes", "code_row", "components", "supports"]

CODE_KIND = "supported"
REMOVAL_KIND = "unsupported"


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _note_evidence(payload: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(all note-sentence evidence items, those that back a MEAT element)."""
    meat = [
        item["evidence"]
        for item in payload.get("meat", [])
        if item.get("evidence", {}).get("source") == "note_sentence"
    ]
    plain = [item for item in payload.get("evidence", []) if item.get("source") == "note_sentence"]
    return plain + meat, meat


def _sentence_texts(note: NoteDraftRecord) -> dict[str, str]:
    return {
        str(sentence["id"]): _normalise(str(sentence["text"]))
        for section in note.sections
        for sentence in section.get("sentences", [])
    }


def supports(suggestion: SuggestionRecord, note: NoteDraftRecord) -> str | None:
    """Why `suggestion` does not support the signed `note` version, or None when it does.

    The rule is in this module's docstring.
    """
    if suggestion.encounter_id != note.encounter_id:
        return "belongs to another encounter"
    if suggestion.status != "accepted" or not suggestion.icd10:
        return "is not an accepted code"
    if suggestion.kind != CODE_KIND:
        return f"is a {suggestion.kind!r} prompt, not documentation of the code in the note"
    if suggestion.note_version is None or suggestion.note_version > note.version:
        return f"was not computed from note version {note.version} or an earlier one"
    evidence, meat = _note_evidence(suggestion.payload)
    if not meat:
        return "has no MEAT element in the note"
    sentences = _sentence_texts(note)
    whole = " ".join(sentences.values())
    for item in evidence:
        quote = _normalise(str(item.get("quote", "")))
        ref = str(item.get("ref", ""))
        where = whole if ref == "note" else sentences.get(ref)
        if where is None or quote not in where:
            return f"its evidence {item.get('quote', '')!r} is not in signed version {note.version}"
    return None


@dataclass(frozen=True)
class Chosen:
    """An accepted code and the suggestion that supports it."""

    icd10: str
    suggestion: SuggestionRecord


def choose_codes(session: Session, note: NoteDraftRecord) -> list[Chosen]:
    """One supporting accepted suggestion per accepted code, or Conflict naming what fails."""
    accepted = session.exec(
        select(SuggestionRecord)
        .where(
            SuggestionRecord.encounter_id == note.encounter_id,
            SuggestionRecord.status == "accepted",
            col(SuggestionRecord.icd10).is_not(None),
            SuggestionRecord.kind != REMOVAL_KIND,
        )
        .order_by(
            col(SuggestionRecord.note_version).desc(),
            col(SuggestionRecord.created_at).desc(),
            col(SuggestionRecord.position),
        )
    ).all()
    if not accepted:
        raise Conflict("nothing to submit: no coding suggestion of this encounter is accepted")
    by_code: dict[str, list[SuggestionRecord]] = {}
    for row in accepted:
        by_code.setdefault(str(row.icd10), []).append(row)
    chosen, problems = [], []
    for code, rows in sorted(by_code.items()):
        verdicts = [(row, supports(row, note)) for row in rows]
        supporting = [row for row, problem in verdicts if problem is None]
        if supporting:
            chosen.append(Chosen(code, supporting[0]))
        else:
            problems.append(f"{code} (suggestion {rows[0].id}) {verdicts[0][1]}")
    if problems:
        raise Conflict(
            f"signed note version {note.version} does not support every accepted code: "
            + "; ".join(problems)
            + ". Reject or defer them, or amend the note, sign it and re-run coding."
        )
    return chosen


def code_row(position: int, chosen: Chosen) -> SubmissionCode:
    """The submission_code row of one chosen code (its submission id is set by the caller)."""
    row = chosen.suggestion
    evidence, _ = _note_evidence(row.payload)
    meat_by_quote = {
        item["evidence"].get("quote"): item.get("kind") for item in row.payload.get("meat", [])
    }
    return SubmissionCode(
        submission_id="",
        position=position,
        icd10=chosen.icd10,
        description=row.description,
        suggestion_id=row.id,
        hcc_v28=row.hcc_v28,
        hcc_v24=row.hcc_v24,
        rules_version=row.rules_version,
        code_set_year=row.code_set_year,
        accepted_by=row.status_by,
        accepted_at=row.status_at,
        evidence=[
            {
                "source": item.get("source"),
                "ref": item.get("ref"),
                "quote": item.get("quote"),
                "meat": meat_by_quote.get(item.get("quote")),
            }
            for item in evidence
        ],
    )


_COMPONENT_KEYS = ("component", "model_name", "model_sha256", "rules_version", "code_version")


def components(session: Session, note: NoteDraftRecord, chosen: list[Chosen]) -> list[Any]:
    """Who produced the note and the codes: note provenance plus the coding runs used."""
    items = [{key: item.get(key) for key in _COMPONENT_KEYS} for item in note.provenance]
    for pick in chosen:
        row = pick.suggestion
        query = select(CodingRun).where(CodingRun.encounter_id == row.encounter_id)
        query = query.where(
            CodingRun.job_id == row.job_id if row.job_id else CodingRun.note_id == row.note_id
        )
        run = session.exec(query.order_by(col(CodingRun.created_at).desc())).first()
        if run is not None:
            entry = {key: run.provenance.get(key) for key in _COMPONENT_KEYS}
            items.append({**entry, "code_set_year": run.code_set_year})
    unique: dict[str, dict[str, Any]] = {}
    for item in items:
        unique.setdefault(json.dumps(item, sort_keys=True), item)
    return list(unique.values())
