"""Two-way review against the patient's lists: recapture prompts and unsupported conditions.

Recapture: a prior-year condition (with an HCC) the note does not support at this encounter.
Unsupported: a problem-list or claims condition the note does not support; the suggestion is to
leave it off this encounter's claim or mark it "not addressed" (never add-only review).
"""

from __future__ import annotations

from coding import codes
from coding.contracts import EvidenceItem
from coding.encounter import Encounter
from coding.evidence import Pending, context_evidence, sentence_evidence
from coding.findings import FindingMaker, resolve_dm
from coding.nlp import ClinicalNlp
from coding.queries import render


def recapture(encounter: Encounter) -> None:
    """Prompt for prior-year conditions this note does not cover."""
    patient = encounter.patient
    if patient is None:
        return
    for index, raw in enumerate(patient.prior_year_dx):
        code = codes.normalize(raw)
        family = encounter.family_of_code(code)
        evidence = context_evidence("prior_year", str(index), f"{code} {codes.describe(code)}")
        if encounter.covered(code) or encounter.negated_in_note(family):
            continue
        if not encounter.in_scope([code], encounter.rules.policy.prompt_scope):
            continue
        existing = encounter.pending_for(family)
        if existing is not None:
            _merge_list_evidence(existing, code, evidence)
            continue
        label = codes.describe(code)
        pending = Pending(
            kind="recapture",
            family=family,
            label=label,
            icd10=code,
            rule_id="review.prior_year",
            confidence=encounter.rules.policy.confidence["recapture"],
        )
        pending.query_text = render(encounter.rules, "recapture", label=label, code=code)
        pending.add_evidence([evidence])
        encounter.pending.append(pending)


def _merge_list_evidence(existing: Pending, code: str, evidence: EvidenceItem) -> None:
    """Add a list entry to the family's prompt; a prompt without a code (a medication whose
    indication is open) takes the code the patient's own list gives for that family."""
    existing.add_evidence([evidence])
    if existing.icd10 is None:
        existing.icd10 = code
        existing.label = codes.describe(code)


def problem_codes(encounter: Encounter, nlp: ClinicalNlp, finder: FindingMaker) -> list:
    """(index, code, text) for every problem-list entry: codes as given, words through the NLP."""
    patient = encounter.patient
    if patient is None:
        return []
    entries = []
    worded = []
    for index, raw in enumerate(patient.problems):
        if codes.looks_like_code(raw):
            entries.append((index, codes.normalize(raw), raw))
        else:
            worded.append((index, raw))
    analyses = nlp.analyze_many([text for _, text in worded]) if worded else []
    for (index, raw), analysis in zip(worded, analyses, strict=True):
        for finding in finder.find(analysis):
            if finding.status == "current":
                entries.append((index, resolve_dm(finding.codes[0], encounter.dm), raw))
                break
    return entries


def unsupported(encounter: Encounter, entries: list) -> None:
    """Flag problem-list conditions this encounter does not support."""
    scope = encounter.rules.policy.unsupported_scope
    for index, code, raw in entries:
        family = encounter.family_of_code(code)
        if encounter.covered(code) or not encounter.in_scope([code], scope):
            continue
        evidence = context_evidence("problem_list", str(index), raw)
        existing = encounter.pending_for(family)
        if existing is not None:
            _merge_list_evidence(existing, code, evidence)
            continue
        encounter.pending.append(_unsupported(encounter, code, family, evidence))


def _unsupported(encounter: Encounter, code: str, family: str, evidence: object) -> Pending:
    label = codes.describe(code)
    pending = Pending(
        kind="unsupported",
        family=family,
        label=label,
        icd10=code,
        rule_id="review.problem_list",
        confidence=encounter.rules.policy.confidence["unsupported"],
    )
    negated = encounter.negated_in_note(family)
    if negated and encounter.note is not None:
        note = encounter.note
        said = sentence_evidence(note.layout, note.analysis, negated[0].mention)
        pending.query_text = render(
            encounter.rules, "unsupported_negated", label=label, code=code, quote=said.quote
        )
        pending.add_evidence([evidence, said])  # type: ignore[list-item]
    else:
        pending.query_text = render(encounter.rules, "unsupported", label=label, code=code)
        pending.add_evidence([evidence])  # type: ignore[list-item]
    return pending
