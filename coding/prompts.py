"""Documentation prompts: undocumented conditions, medications and labs, and specificity.

Prompts never become codes. Each carries neutral query text and its evidence; one prompt per
condition family, later evidence for the same family is added to the existing prompt.
"""

from __future__ import annotations

import re

from coding.contracts import EvidenceItem, EvidenceSource
from coding.encounter import Encounter
from coding.evidence import Pending, context_evidence, flags_of, sentence_evidence, span_evidence
from coding.findings import Finding, resolve_dm
from coding.labs import LabHit
from coding.queries import render
from coding.rule_schemas import DrugRule, SpecificityRule

MAX_EVIDENCE = 3
SECTION_NAMES = {"unknown": "note", "past_medical_history": "past medical history"}


def _confidence(encounter: Encounter, key: str) -> float:
    return encounter.rules.policy.confidence[key]


def _add_or_merge(encounter: Encounter, pending: Pending) -> None:
    """Add a prompt, or merge its evidence into the prompt already made for the family."""
    existing = encounter.pending_for(pending.family)
    if existing is None:
        encounter.pending.append(pending)
    else:
        existing.add_evidence(pending.evidence)


def _in_scope(encounter: Encounter, pending: Pending) -> bool:
    codes = [pending.icd10, *pending.alternatives, pending.replaces]
    return encounter.in_scope(codes, encounter.rules.policy.prompt_scope)


def note_mentions_without_meat(encounter: Encounter, unaddressed: dict[str, list[Finding]]) -> None:
    """Prompt for conditions the note names (e.g. in past history) without any MEAT element."""
    note = encounter.note
    if note is None:
        return
    for family, findings in unaddressed.items():
        first = findings[0]
        section = SECTION_NAMES.get(first.mention.section, first.mention.section.replace("_", " "))
        pending = Pending(
            kind="undocumented",
            family=family,
            label=first.label,
            icd10=resolve_dm(first.codes[0], encounter.dm),
            rule_id=first.rule.rule_id,
            confidence=_confidence(encounter, "undocumented_no_meat"),
            flags=flags_of(first.mention),
            section=first.mention.section,
        )
        pending.query_text = render(
            encounter.rules, "undocumented_no_meat", label=first.label, section=section
        )
        pending.add_evidence(
            [
                sentence_evidence(note.layout, note.analysis, f.mention)
                for f in findings[:MAX_EVIDENCE]
            ]
        )
        if _in_scope(encounter, pending):
            _add_or_merge(encounter, pending)


def transcript_conditions(encounter: Encounter) -> None:
    """Prompt for conditions asserted in the transcript but not documented in the note."""
    transcript = encounter.transcript
    if transcript is None:
        return
    documented = encounter.documented_families()
    by_family: dict[str, list[Finding]] = {}
    for finding in transcript.live_findings():
        by_family.setdefault(finding.family, []).append(finding)
    for family, findings in by_family.items():
        evidence = [
            sentence_evidence(transcript.layout, transcript.analysis, f.mention)
            for f in findings[:MAX_EVIDENCE]
        ]
        existing = encounter.pending_for(family)
        if family in encounter.supported_families():
            continue
        if existing is not None or family in documented:
            if existing is not None:
                existing.add_evidence(evidence)
            continue
        _transcript_prompt(encounter, findings[0], evidence)


def _transcript_prompt(encounter: Encounter, first: Finding, evidence: list) -> None:
    pending = Pending(
        kind="undocumented",
        family=first.family,
        label=first.label,
        icd10=resolve_dm(first.codes[0], encounter.dm),
        rule_id=first.rule.rule_id,
        confidence=_confidence(encounter, "undocumented_transcript"),
        flags=flags_of(first.mention),
        section=None,
    )
    pending.query_text = render(
        encounter.rules, "undocumented_transcript", quote=evidence[0].quote, label=first.label
    )
    pending.add_evidence(evidence)
    if _in_scope(encounter, pending):
        _add_or_merge(encounter, pending)


def medications(encounter: Encounter) -> None:
    """Prompt when a medication that implies a condition has no documented indication."""
    documented = encounter.documented_families() | encounter.supported_families()
    for drug, evidence, source in _medication_hits(encounter):
        if not drug.prompt or documented & set(drug.families):
            continue
        family = drug.families[0]
        pending = Pending(
            kind="undocumented",
            family=family,
            label=encounter.rules.family_label(family),
            icd10=drug.candidate,
            alternatives=tuple(drug.alternatives),
            rule_id=drug.rule_id,
            confidence=_confidence(encounter, "undocumented_medication"),
        )
        pending.query_text = render(
            encounter.rules, "undocumented_medication", source=source, medication=evidence.quote
        )
        pending.add_evidence([evidence])
        if _in_scope(encounter, pending):
            _add_or_merge(encounter, pending)


def _medication_hits(encounter: Encounter) -> list:
    drugs = {drug.rule_id: drug for drug in encounter.rules.medications.drugs}
    hits: list[tuple[DrugRule, object, str]] = []
    patient = encounter.patient
    for index, entry in enumerate(patient.medications if patient else ()):
        for drug in drugs.values():
            if any(re.search(rf"\b{p}\b", entry, re.IGNORECASE) for p in drug.patterns):
                hits.append(
                    (drug, context_evidence("medication", str(index), entry), "medication list")
                )
    for side in encounter.sides():
        name = "note" if side is encounter.note else "transcript"
        for mention in side.asserted_mentions("medication"):
            if "historical" not in mention.flags:
                evidence = span_evidence(side.layout, mention.start, mention.end)
                hits.append((drugs[mention.rule_id], evidence, name))
    return hits


def labs(encounter: Encounter) -> None:
    """Prompt when dated results suggest a condition the note does not document."""
    documented = encounter.documented_families() | encounter.supported_families()
    for hit in encounter.lab_hits.values():
        if hit.rule.family in documented:
            continue
        pending = Pending(
            kind="undocumented",
            family=hit.rule.family,
            label=encounter.rules.family_label(hit.rule.family),
            icd10=hit.candidate,
            rule_id=hit.rule.rule_id,
            confidence=_confidence(encounter, "undocumented_lab"),
        )
        pending.query_text = render(encounter.rules, "undocumented_lab", values=hit.describe())
        pending.add_evidence(_lab_evidence(hit))
        if _in_scope(encounter, pending):
            _add_or_merge(encounter, pending)


def _lab_evidence(hit: LabHit) -> list[EvidenceItem]:
    source: EvidenceSource = "vital" if hit.rule.source == "vitals" else "lab"
    return [
        context_evidence(
            source, str(index), f"{lab.name} {lab.value:g} {lab.unit} {lab.date or ''}"
        )
        for index, lab in hit.values
    ]


def specificity(encounter: Encounter) -> None:
    """Prompt when the evidence supports a more specific code than the note documents."""
    for spec in encounter.rules.specificity.rules:
        documented = [
            item
            for item in encounter.items
            if any(re.search(p, item.code) for p in spec.applies_to)
        ]
        if not documented or any(
            re.search(p, item.code) for p in spec.unless_any for item in encounter.items
        ):
            continue
        _specificity_prompt(encounter, spec, documented[0].code, documented[0].label)


def _signals(encounter: Encounter, spec: SpecificityRule) -> list[tuple[str, EvidenceItem]]:
    found: list[tuple[str, EvidenceItem]] = []
    for side in encounter.sides():
        name = "note" if side is encounter.note else "transcript"
        for mention in side.analysis.mentions:
            is_signal = mention.kind == "signal" and (
                mention.rule_id == spec.rule_id or _matches_signal(spec, mention.text)
            )
            is_family = mention.kind == "condition" and mention.family in spec.signal_families
            if (is_signal or is_family) and mention.asserted:
                found.append((name, sentence_evidence(side.layout, side.analysis, mention)))
    return found


def _matches_signal(spec: SpecificityRule, text: str) -> bool:
    """True when another rule's signal span (overlapping spans go to one rule) fits this rule."""
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in spec.signals)


def _specificity_prompt(encounter: Encounter, spec: SpecificityRule, code: str, label: str) -> None:
    signals = _signals(encounter, spec)
    hit = encounter.lab_hits.get(spec.lab_rule or "")
    if not signals and hit is None:
        return
    candidate = resolve_dm(spec.candidate, encounter.dm) if spec.candidate else None
    pending = Pending(
        kind="specificity",
        family=spec.family,
        label=label,
        icd10=candidate or (hit.candidate if hit else None),
        alternatives=tuple(spec.alternatives),
        rule_id=spec.rule_id,
        confidence=_confidence(encounter, "specificity"),
        replaces=code,
    )
    if signals:
        source, evidence = signals[0]
        pending.query_text = render(
            encounter.rules,
            spec.template,
            source=source,
            quote=evidence.quote,
            label=label,
            values=hit.describe() if hit else "",
        )
        pending.add_evidence([item for _, item in signals[:MAX_EVIDENCE]])
    if hit is not None:
        if pending.query_text is None:
            pending.query_text = render(
                encounter.rules,
                spec.template,
                values=hit.describe(),
                label=label,
                source="lab results",
                quote=hit.describe(),
            )
        pending.add_evidence(_lab_evidence(hit))
    if _in_scope(encounter, pending):
        encounter.pending.append(pending)
