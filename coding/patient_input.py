"""Patient context from plain JSON or a FHIR R4 Bundle.

Plain JSON is the `PatientContext` shape: every key optional except `age` and `sex`; unknown
keys are an error. A FHIR R4 Bundle is read as: Patient (birthDate -> age at the reference
date, gender -> sex), Condition (ICD-10-CM codings; active -> problem list, recorded/onset in
the previous calendar year -> prior-year list; refuted, entered-in-error and unconfirmed ones are
skipped), MedicationStatement / MedicationRequest (current ones -> medication text), Observation
(LOINC from labs.json -> labs, BMI -> vitals). Other resource types are ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from coding import codes
from coding.errors import CodingInputError
from coding.rulebook import load_rules
from scribe.contracts import Lab, PatientContext

ICD10CM_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10-cm", "urn:oid:2.16.840.1.113883.6.90")
LOINC_SYSTEM = "http://loinc.org"
SKIPPED_VERIFICATION = {"refuted", "entered-in-error", "unconfirmed", "provisional", "differential"}
ACTIVE_CLINICAL = {"active", "recurrence", "relapse"}
STOPPED_MEDICATION = {"stopped", "cancelled", "entered-in-error", "completed", "not-taken", "ended"}
VITAL_LABS = {"bmi"}


def load_patient_context(data: Any, *, reference_date: date | None = None) -> PatientContext:
    """Read patient context from a dict: a FHIR R4 Bundle or the plain PatientContext JSON.

    Args:
        data: Parsed JSON.
        reference_date: Date the FHIR birthDate is measured against (normally the date of
            service); defaults to today. Ignored for plain JSON, which carries `age`.

    Raises:
        CodingInputError: with the reason (unknown keys, missing age/sex, malformed codes,
            impossible demographics, a Bundle without exactly one Patient, ...).
    """
    if not isinstance(data, dict):
        raise CodingInputError("patient context must be a JSON object")
    resource_type = data.get("resourceType")
    if resource_type == "Bundle":
        return _from_bundle(data, reference_date or date.today())
    if resource_type is not None:
        raise CodingInputError(
            f"expected a FHIR Bundle or plain patient JSON, got a FHIR {resource_type} resource"
        )
    return _from_plain(data)


def _from_plain(data: dict[str, Any]) -> PatientContext:
    try:
        patient = PatientContext.model_validate(data)
    except ValidationError as exc:
        raise CodingInputError(f"patient JSON is invalid: {_readable(exc)}") from exc
    _check_codes(patient)
    return patient


def _readable(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key {where!r}")
        elif error["type"] == "missing":
            parts.append(f"missing required key {where!r}")
        else:
            parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _check_codes(patient: PatientContext) -> None:
    for index, raw in enumerate(patient.prior_year_dx):
        _validated(raw, f"prior_year_dx[{index}]")
    for index, raw in enumerate(patient.problems):
        if codes.looks_like_code(raw):
            _validated(raw, f"problems[{index}]")


def _validated(raw: str, where: str) -> str:
    try:
        return codes.validate(raw)
    except CodingInputError as exc:
        raise CodingInputError(f"{where}: {exc}") from exc


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise CodingInputError("FHIR Bundle has no 'entry' list")
    found = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise CodingInputError(
                f"FHIR Bundle entry[{index}] has no resource with a resourceType"
            )
        found.append(resource)
    return found


def _from_bundle(bundle: dict[str, Any], reference_date: date) -> PatientContext:
    resources = _resources(bundle)
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise CodingInputError(f"FHIR Bundle must hold exactly one Patient, found {len(patients)}")
    age, sex = _demographics(patients[0], reference_date)
    problems: list[str] = []
    prior: list[str] = []
    medications: list[str] = []
    labs: list[Lab] = []
    vitals: list[Lab] = []
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Condition":
            _condition(resource, reference_date, problems, prior)
        elif kind in ("MedicationStatement", "MedicationRequest"):
            _medication(resource, medications)
        elif kind == "Observation":
            _observation(resource, labs, vitals)
    return PatientContext(
        age=age,
        sex=sex,
        problems=tuple(dict.fromkeys(problems)),
        prior_year_dx=tuple(dict.fromkeys(prior)),
        medications=tuple(medications),
        labs=tuple(labs),
        vitals=tuple(vitals),
    )


def _demographics(patient: dict[str, Any], reference_date: date) -> tuple[int, Literal["F", "M"]]:
    sexes: dict[str, Literal["F", "M"]] = {"female": "F", "male": "M"}
    sex = sexes.get(str(patient.get("gender", "")).lower())
    if sex is None:
        raise CodingInputError(
            f"Patient.gender {patient.get('gender')!r} cannot be scored: the CMS-HCC models "
            "need female or male"
        )
    birth = _fhir_date(patient.get("birthDate"), "Patient.birthDate")
    if birth is None:
        raise CodingInputError("Patient.birthDate is missing; age is required")
    if birth > reference_date:
        raise CodingInputError(
            f"Patient.birthDate {birth} is after the reference date {reference_date}"
        )
    age = (
        reference_date.year
        - birth.year
        - ((reference_date.month, reference_date.day) < (birth.month, birth.day))
    )
    if age > 130:
        raise CodingInputError(f"Patient.birthDate {birth} gives an impossible age of {age}")
    return age, sex


def _fhir_date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) == 4:
        text += "-07-01"
    elif len(text) == 7:
        text += "-15"
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise CodingInputError(f"{where} {value!r} is not a FHIR date") from exc


def _status(resource: dict[str, Any], key: str) -> str:
    codings = (resource.get(key) or {}).get("coding") or []
    return str(codings[0].get("code", "")).lower() if codings else ""


def _condition(resource: dict[str, Any], reference_date: date, problems: list, prior: list) -> None:
    if _status(resource, "verificationStatus") in SKIPPED_VERIFICATION:
        return
    where = f"Condition/{resource.get('id', '?')}"
    icd = [
        c
        for c in (resource.get("code") or {}).get("coding") or []
        if str(c.get("system", "")).lower() in ICD10CM_SYSTEMS
    ]
    recorded = resource.get("recordedDate") or resource.get("onsetDateTime")
    when = _fhir_date(recorded, f"{where}.recordedDate")
    active = _status(resource, "clinicalStatus") in ACTIVE_CLINICAL or not resource.get(
        "clinicalStatus"
    )
    entries = [_validated(str(c.get("code", "")), where) for c in icd]
    if not entries:
        text = (resource.get("code") or {}).get("text")
        if text and active:
            problems.append(str(text))
        return
    if when is not None and when.year == reference_date.year - 1:
        prior.extend(entries)
    if active:
        problems.extend(entries)


def _medication(resource: dict[str, Any], medications: list[str]) -> None:
    if str(resource.get("status", "")).lower() in STOPPED_MEDICATION:
        return
    concept = resource.get("medicationCodeableConcept") or {}
    reference = resource.get("medicationReference") or {}
    codings = concept.get("coding") or [{}]
    name = concept.get("text") or codings[0].get("display") or reference.get("display")
    if name:
        medications.append(str(name))


def _observation(resource: dict[str, Any], labs: list[Lab], vitals: list[Lab]) -> None:
    if str(resource.get("status", "")).lower() in {"entered-in-error", "cancelled"}:
        return
    quantity = resource.get("valueQuantity") or {}
    if "value" not in quantity:
        return
    codings = (resource.get("code") or {}).get("coding") or []
    name = _lab_name(codings) or (resource.get("code") or {}).get("text")
    if not name:
        return
    try:
        value = float(quantity["value"])
    except (TypeError, ValueError) as exc:
        raise CodingInputError(
            f"Observation/{resource.get('id', '?')} value is not a number"
        ) from exc
    when = resource.get("effectiveDateTime") or resource.get("issued")
    lab = Lab(
        name=str(name),
        value=value,
        unit=str(quantity.get("unit", "")),
        date=when[:10] if when else None,
    )
    (vitals if name in VITAL_LABS else labs).append(lab)


def _lab_name(codings: list[dict[str, Any]]) -> str | None:
    known = {loinc: item.name for item in load_rules().labs.labs for loinc in item.loinc}
    for coding in codings:
        if coding.get("system") == LOINC_SYSTEM and coding.get("code") in known:
            return known[coding["code"]]
    return None
