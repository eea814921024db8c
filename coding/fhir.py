"""The FHIR R4 Bundle a submission delivers: the signed note, its coded conditions, the sign-off.

A `collection` Bundle whose entries reference each other by `urn:uuid:` full URLs (derived from
the submission id, so building twice gives the same Bundle): Patient, Encounter, Practitioner
(the signer), a DocumentReference holding the signed note, one Condition (category
encounter-diagnosis, ICD-10-CM) per submitted code, and a Provenance for the sign-off that
targets the DocumentReference and every Condition. Model, rules and code-set versions travel as
extensions. The Bundle's identifier is what a FHIR server's conditional create keys on.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from coding.tables import SubmissionCode
from scribe.tables import Encounter, NoteDraftRecord, NoteSignature, Patient

SYSTEM_BASE = "urn:hcc-scribe"
SUBMISSION_SYSTEM = f"{SYSTEM_BASE}:submission"
EXTENSION_BASE = "https://hcc-scribe.invalid/fhir/StructureDefinition"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
_NAMESPACE = uuid.UUID("6f1c6c52-9a53-4d0e-9d35-1d8a2f7e2c11")


@dataclass(frozen=True)
class SubmissionFacts:
    """Everything the Bundle states, read from the database by the caller."""

    submission_id: str
    created_at: datetime
    patient: Patient
    encounter: Encounter
    note: NoteDraftRecord
    note_text: str
    signed_content: bytes
    signature: NoteSignature
    codes: tuple[SubmissionCode, ...]
    provenance: dict[str, Any]
    replaces_submission_id: str | None = None


def _instant(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _day(value: date) -> str:
    return value.isoformat()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": f"{EXTENSION_BASE}/{name}", **value}


class _Urls:
    """Deterministic urn:uuid full URLs of the Bundle's entries."""

    def __init__(self, submission_id: str) -> None:
        self._submission_id = submission_id

    def __call__(self, part: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self._submission_id}/{part}')}"


def _patient(patient: Patient) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = [{"system": f"{SYSTEM_BASE}:patient", "value": patient.id}]
    if patient.external_id:
        identifiers.append({"type": {"text": "MRN"}, "value": patient.external_id})
    return {
        "resourceType": "Patient",
        "identifier": identifiers,
        "gender": {"F": "female", "M": "male"}.get(patient.sex, "unknown"),
        "birthDate": _day(patient.birth_date),
    }


def _encounter(encounter: Encounter, urls: _Urls) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "identifier": [{"system": f"{SYSTEM_BASE}:encounter", "value": encounter.id}],
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "subject": {"reference": urls("patient")},
        "period": {
            "start": _day(encounter.date_of_service),
            "end": _day(encounter.date_of_service),
        },
    }
    if encounter.clinician:
        resource["participant"] = [{"individual": {"display": encounter.clinician}}]
    return resource


def _practitioner(signer: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": f"{SYSTEM_BASE}:user", "value": signer}],
        "name": [{"text": signer}],
    }


def _attachment(content_type: str, data: bytes, title: str) -> dict[str, Any]:
    return {
        "contentType": content_type,
        "language": "en",
        "data": _b64(data),
        "size": len(data),
        # FHIR R4 Attachment.hash is SHA-1; the sha256 travels as an extension.
        "hash": _b64(hashlib.sha1(data, usedforsecurity=False).digest()),
        "title": title,
        "extension": [_ext("attachment-sha256", valueString=hashlib.sha256(data).hexdigest())],
    }


def _document(facts: SubmissionFacts, urls: _Urls) -> dict[str, Any]:
    signature, note = facts.signature, facts.note
    amended = signature.amends_signature_id is not None
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "identifier": [
            {"system": f"{SYSTEM_BASE}:note-signature", "value": signature.id},
            {"system": f"{SYSTEM_BASE}:note", "value": f"{note.id}/v{note.version}"},
        ],
        "status": "current",
        "docStatus": "amended" if amended else "final",
        "type": {
            "coding": [
                {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
            ]
        },
        "subject": {"reference": urls("patient")},
        "date": _instant(signature.signed_at),
        "author": [{"reference": urls("signer")}],
        "authenticator": {"reference": urls("signer")},
        "description": f"Signed note, version {note.version}",
        "content": [
            {
                "attachment": _attachment(
                    "text/plain; charset=utf-8", facts.note_text.encode(), "Note"
                )
            },
            {
                "attachment": _attachment(
                    "application/json", facts.signed_content, "Signed content (canonical JSON)"
                )
            },
        ],
        "context": {
            "encounter": [{"reference": urls("encounter")}],
            "period": {
                "start": _day(facts.encounter.date_of_service),
                "end": _day(facts.encounter.date_of_service),
            },
        },
        "extension": [_ext("signed-content-sha256", valueString=signature.content_sha256)],
    }
    if facts.replaces_submission_id:
        resource["relatesTo"] = [
            {
                "code": "replaces",
                "target": {
                    "identifier": {
                        "system": SUBMISSION_SYSTEM,
                        "value": facts.replaces_submission_id,
                    }
                },
            }
        ]
    return resource


def _evidence_note(code: SubmissionCode) -> str:
    lines = []
    for item in code.evidence:
        label = f"MEAT {item['meat']}" if item.get("meat") else "Evidence"
        lines.append(f'{label}: "{item.get("quote", "")}"')
    return "\n".join(lines)


def _code_extensions(code: SubmissionCode) -> list[dict[str, Any]]:
    parts = [
        _ext("suggestion-id", valueString=code.suggestion_id),
        _ext("rules-version", valueString=code.rules_version),
        _ext("code-set-year", valueString=code.code_set_year),
    ]
    if code.hcc_v28:
        parts.append(_ext("cms-hcc-v28", valueString=code.hcc_v28))
    if code.hcc_v24:
        parts.append(_ext("cms-hcc-v24", valueString=code.hcc_v24))
    if code.accepted_by:
        parts.append(_ext("accepted-by", valueString=code.accepted_by))
    if code.accepted_at:
        parts.append(_ext("accepted-at", valueDateTime=_instant(code.accepted_at)))
    return [_ext("coding-decision", extension=parts)]


def _condition(code: SubmissionCode, facts: SubmissionFacts, urls: _Urls) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "identifier": [
            {"system": SUBMISSION_SYSTEM, "value": f"{facts.submission_id}/{code.icd10}"}
        ],
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": VERIFICATION_STATUS, "code": "confirmed"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": CONDITION_CATEGORY,
                        "code": "encounter-diagnosis",
                        "display": "Encounter Diagnosis",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": ICD10CM, "code": code.icd10, "display": code.description}],
            "text": code.description,
        },
        "subject": {"reference": urls("patient")},
        "encounter": {"reference": urls("encounter")},
        "recordedDate": _instant(facts.signature.signed_at),
        "asserter": {"reference": urls("signer")},
        "evidence": [{"detail": [{"reference": urls("document")}]}],
        "extension": _code_extensions(code),
    }
    if code.evidence:
        resource["note"] = [{"text": _evidence_note(code)}]
    return resource


def _software_extensions(provenance: dict[str, Any]) -> list[dict[str, Any]]:
    """One `software` extension per component that produced the note or the codes."""
    result = []
    for item in provenance.get("components", []):
        parts = [
            _ext(key, valueString=str(item[key]))
            for key in (
                "component",
                "model_name",
                "model_sha256",
                "rules_version",
                "code_version",
                "code_set_year",
            )
            if item.get(key)
        ]
        result.append(_ext("software", extension=parts))
    return result


def _provenance(facts: SubmissionFacts, urls: _Urls, condition_urls: list[str]) -> dict[str, Any]:
    signed_at = _instant(facts.signature.signed_at)
    return {
        "resourceType": "Provenance",
        "target": [{"reference": urls("document")}] + [{"reference": u} for u in condition_urls],
        "occurredDateTime": signed_at,
        "recorded": signed_at,
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "LA",
                    "display": "legal authenticator",
                }
            ]
        },
        "agent": [
            {
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "attester"}]},
                "who": {"reference": urls("signer")},
            },
            {
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "assembler"}]},
                "who": {"display": f"hcc-scribe {facts.provenance.get('code_version', '')}"},
            },
        ],
        "entity": [{"role": "source", "what": {"reference": urls("document")}}],
        "signature": [
            {
                "type": [
                    {
                        "system": SIGNATURE_TYPE,
                        "code": "1.2.840.10065.1.12.1.1",
                        "display": "Author's Signature",
                    }
                ],
                "when": signed_at,
                "who": {"reference": urls("signer")},
            }
        ],
        "extension": [
            _ext("attestation", valueString=facts.signature.attestation),
            _ext("signed-content-sha256", valueString=facts.signature.content_sha256),
            *_software_extensions(facts.provenance),
        ],
    }


def build_bundle(facts: SubmissionFacts) -> dict[str, Any]:
    """The submission's FHIR R4 Bundle (type collection) as JSON-ready data."""
    urls = _Urls(facts.submission_id)
    entries = [
        (urls("patient"), _patient(facts.patient)),
        (urls("encounter"), _encounter(facts.encounter, urls)),
        (urls("signer"), _practitioner(facts.signature.signer)),
        (urls("document"), _document(facts, urls)),
    ]
    condition_urls = [urls(f"condition/{code.icd10}") for code in facts.codes]
    entries += [
        (url, _condition(code, facts, urls))
        for url, code in zip(condition_urls, facts.codes, strict=True)
    ]
    entries.append((urls("provenance"), _provenance(facts, urls, condition_urls)))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": SUBMISSION_SYSTEM, "value": facts.submission_id},
        "type": "collection",
        "timestamp": _instant(facts.created_at),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
