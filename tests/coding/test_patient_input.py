"""Patient context from plain JSON and from a FHIR R4 Bundle, and their errors."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from coding.errors import CodingInputError
from coding.patient_input import load_patient_context

REF = date(2026, 3, 15)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"


def _condition(
    code: str, status: str = "active", recorded: str = "2026-01-10", **extra: Any
) -> dict:
    return {
        "resourceType": "Condition",
        "id": f"c-{code}",
        "clinicalStatus": {"coding": [{"code": status}]},
        "code": {"coding": [{"system": ICD, "code": code}]},
        "recordedDate": recorded,
        **extra,
    }


def _observation(loinc: str, value: float, when: str, unit: str = "") -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "valueQuantity": {"value": value, "unit": unit},
        "effectiveDateTime": when,
    }


BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "gender": "female",
                "birthDate": "1953-06-20",
            }
        },
        {"resource": _condition("E11.22")},
        {"resource": _condition("I50.22", recorded="2025-05-02")},
        {"resource": _condition("F33.1", status="resolved", recorded="2025-02-11")},
        {"resource": _condition("J44.9", verificationStatus={"coding": [{"code": "refuted"}]})},
        {
            "resource": {
                "resourceType": "Condition",
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "code": {"text": "chronic low back pain"},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {"text": "apixaban 5 mg tablet"},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "status": "active",
                "medicationCodeableConcept": {"coding": [{"display": "metformin 500 mg"}]},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "stopped",
                "medicationCodeableConcept": {"text": "glipizide 5 mg"},
            }
        },
        {"resource": _observation("62238-1", 41, "2025-09-01", "mL/min/1.73m2")},
        {"resource": _observation("98979-8", 38, "2026-02-01", "mL/min/1.73m2")},
        {"resource": _observation("39156-5", 42.5, "2026-02-01", "kg/m2")},
        {"resource": {"resourceType": "Encounter", "id": "e1"}},
    ],
}


def test_plain_json_minimal_and_full() -> None:
    assert load_patient_context({"age": 70, "sex": "M"}).dual == "none"
    patient = load_patient_context(
        {
            "age": 81,
            "sex": "F",
            "dual": "full",
            "orec": "disabled",
            "institutional": True,
            "medications": ["insulin"],
            "problems": ["E11.9", "CHF"],
            "prior_year_dx": ["i5022"],
            "labs": [{"name": "eGFR", "value": 40, "date": "2026-01-01"}],
            "vitals": [{"name": "bmi", "value": 41.0}],
        }
    )
    assert patient.problems == ("E11.9", "CHF") and patient.vitals[0].value == 41.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"age": 70, "sex": "M", "ssn": "x"}, "unknown key 'ssn'"),
        ({"sex": "M"}, "missing required key 'age'"),
        ({"age": 70}, "missing required key 'sex'"),
        ({"age": 170, "sex": "M"}, "age"),
        ({"age": 70, "sex": "X"}, "sex"),
        ({"age": 70, "sex": "M", "prior_year_dx": ["E11."]}, "prior_year_dx[0]"),
        ({"age": 70, "sex": "M", "prior_year_dx": ["E11"]}, "category"),
        ({"age": 70, "sex": "M", "problems": ["Z99.99"]}, "problems[0]"),
        ([1, 2], "JSON object"),
        ({"resourceType": "Patient", "gender": "male"}, "FHIR Patient resource"),
    ],
)
def test_plain_json_errors(data: Any, message: str) -> None:
    with pytest.raises(CodingInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_patient_context(data)


def test_fhir_bundle() -> None:
    patient = load_patient_context(BUNDLE, reference_date=REF)
    assert (patient.age, patient.sex) == (72, "F")
    assert patient.problems == ("E11.22", "I50.22", "chronic low back pain")
    assert patient.prior_year_dx == ("I50.22", "F33.1")
    assert patient.medications == ("apixaban 5 mg tablet", "metformin 500 mg")
    assert [(lab.name, lab.value, lab.date) for lab in patient.labs] == [
        ("egfr", 41.0, "2025-09-01"),
        ("egfr", 38.0, "2026-02-01"),
    ]
    assert patient.vitals[0].name == "bmi" and patient.vitals[0].value == 42.5


def _broken(change: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(BUNDLE)
    change(bundle)
    return bundle


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["entry"].pop(0), "exactly one Patient, found 0"),
        (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), "exactly one Patient, found 2"),
        (lambda b: b["entry"][0]["resource"].update(gender="unknown"), "cannot be scored"),
        (lambda b: b["entry"][0]["resource"].pop("birthDate"), "birthDate is missing"),
        (lambda b: b["entry"][0]["resource"].update(birthDate="2030-01-01"), "after the reference"),
        (lambda b: b["entry"][0]["resource"].update(birthDate="1850-01-01"), "impossible age"),
        (lambda b: b["entry"][0]["resource"].update(birthDate="20-01-1950"), "not a FHIR date"),
        (lambda b: b["entry"].append({"resource": _condition("E11.999")}), "Condition/c-E11.999"),
        (lambda b: b["entry"].append({"foo": 1}), "entry\\[13\\]"),
        (lambda b: b.pop("entry"), "no 'entry' list"),
    ],
)
def test_fhir_bundle_errors(mutate: Any, message: str) -> None:
    with pytest.raises(CodingInputError, match=message):
        load_patient_context(_broken(mutate), reference_date=REF)
