"""CMS-HCC mapping and risk scores through hccinfhir (never re-implemented here).

`raf()` is the service's one RAF path: the CLI (`scribe raf`), the suggestion engine and the peer
replay test all go through it. Tables are hccinfhir's packaged CMS files for the payment year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from coding import codes
from coding.errors import CodingInputError

MODELS: dict[str, str] = {
    "V28": "CMS-HCC Model V28",
    "V24": "CMS-HCC Model V24",
    "V22": "CMS-HCC Model V22",
    "ESRD-V24": "CMS-HCC ESRD Model V24",
    "ESRD-V21": "CMS-HCC ESRD Model V21",
}
"""Short model names accepted by `raf()` -> hccinfhir model names."""

TABLE_FILES: dict[int, dict[str, str]] = {
    2025: {
        "dx": "ra_dx_to_cc_2025.csv",
        "hierarchies": "ra_hierarchies_2025.csv",
        "coefficients": "ra_coefficients_2025.csv",
    },
    2026: {
        "dx": "ra_dx_to_cc_2026.csv",
        "hierarchies": "ra_hierarchies_2026.csv",
        "coefficients": "ra_coefficients_2026.csv",
    },
}
"""Payment years with final CMS tables in hccinfhir 0.4.0 (2027 ships proposed values only)."""

DEFAULT_PAYMENT_YEAR = 2026
DUAL_CODES = {"none": "00", "full": "02", "partial": "01"}
OREC_CODES = {"aged": "0", "disabled": "1", "esrd": "2", "disabled_esrd": "3"}
_RAW_DUAL = {"NA", *(f"{n:02d}" for n in range(11))}
_SEGMENTS = {"CNA_", "CND_", "CFA_", "CFD_", "CPA_", "CPD_", "INS_", "NE_", "SNPNE_"}
_SEGMENTS |= {"DI_", "DNE_", "GI_", "GNE_", "GFPA_", "GFPN_", "GNPA_", "GNPN_"}


@dataclass(frozen=True)
class HccTables:
    """The CMS tables of one payment year, loaded once through hccinfhir's loaders."""

    payment_year: int
    dx_to_cc: dict[Any, set[str]] = field(repr=False)
    hierarchies: dict[Any, set[str]] = field(repr=False)
    coefficients: dict[Any, float] = field(repr=False)
    labels: dict[Any, str] = field(repr=False)


@lru_cache(maxsize=4)
def tables(payment_year: int = DEFAULT_PAYMENT_YEAR) -> HccTables:
    """Load (once per process) the tables of a payment year, or a CodingInputError."""
    files = TABLE_FILES.get(payment_year)
    if files is None:
        years = ", ".join(str(year) for year in sorted(TABLE_FILES))
        raise CodingInputError(
            f"payment year {payment_year} is not supported; hccinfhir 0.4.0 ships final CMS "
            f"tables for {years}"
        )
    from hccinfhir import utils

    return HccTables(
        payment_year=payment_year,
        dx_to_cc=utils.load_dx_to_cc_mapping(files["dx"]),
        hierarchies=utils.load_hierarchies(files["hierarchies"]),
        coefficients=utils.load_coefficients(files["coefficients"]),
        labels=utils.load_labels("ra_labels_2026.csv"),
    )


def model_name(model: str) -> str:
    """hccinfhir's name for a short model name ('V28'), or a CodingInputError."""
    if model in MODELS:
        return MODELS[model]
    if model in MODELS.values():
        return model
    raise CodingInputError(f"unknown HCC model {model!r}; use one of {', '.join(MODELS)}")


def hccs_for(
    code: str, model: str = "V28", payment_year: int = DEFAULT_PAYMENT_YEAR
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """HCCs a single ICD-10-CM code maps to (before hierarchies) and their labels."""
    table = tables(payment_year)
    name = model_name(model)
    ccs = sorted(table.dx_to_cc.get((code.replace(".", ""), name), set()), key=_cc_sort)
    labels = tuple(table.labels.get((cc, name), "") for cc in ccs)
    return tuple(ccs), labels


def _cc_sort(cc: str) -> tuple[int, str]:
    return (int(cc), cc) if cc.isdigit() else (10_000, cc)


def _dual_code(dual: str) -> str:
    if dual in DUAL_CODES:
        return DUAL_CODES[dual]
    if dual in _RAW_DUAL:
        return dual
    raise CodingInputError(
        f"dual status {dual!r} is not one of none/full/partial or a CMS dual code 00-10/NA"
    )


def _orec_code(orec: str) -> str:
    if orec in OREC_CODES:
        return OREC_CODES[orec]
    if orec in OREC_CODES.values():
        return orec
    raise CodingInputError(f"OREC {orec!r} is not one of {', '.join(OREC_CODES)} or 0-3")


def _check_demographics(age: float, sex: str) -> str:
    if isinstance(age, bool) or not isinstance(age, int | float) or not 0 <= age <= 130:
        raise CodingInputError(f"age {age!r} is impossible; give a number of years 0-130")
    mapped = {"F": "F", "M": "M", "1": "M", "2": "F"}.get(str(sex).upper())
    if mapped is None:
        raise CodingInputError(f"sex {sex!r} must be 'F' or 'M' for the CMS-HCC models")
    return mapped


def _usable_codes(dx_codes: Iterable[str], strict: bool) -> tuple[list[str], list[str]]:
    used: list[str] = []
    ignored: list[str] = []
    for raw in dx_codes:
        try:
            used.append(codes.validate(raw))
        except CodingInputError:
            if strict:
                raise
            ignored.append(str(raw))
    return used, ignored


@dataclass(frozen=True)
class _Call:
    """Validated inputs of one hccinfhir calculation."""

    codes: tuple[str, ...]
    model_name: str
    table: HccTables
    age: float
    sex: str
    dual: str = "00"
    orec: str = "0"
    crec: str = "0"
    institutional: bool = False
    new_enrollee: bool = False
    snp: bool = False
    low_income: bool = False
    graft_months: int | None = None
    segment: str | None = None
    maci: float = 0.0
    norm_factor: float = 1.0
    frailty_score: float = 0.0


def raf(
    age: float,
    sex: str,
    dual: str = "none",
    dx_codes: Sequence[str] = (),
    *,
    model: str = "V28",
    orec: str = "aged",
    crec: str | None = None,
    institutional: bool = False,
    new_enrollee: bool = False,
    snp: bool = False,
    low_income: bool = False,
    graft_months: int | None = None,
    segment: str | None = None,
    maci: float = 0.0,
    norm_factor: float = 1.0,
    frailty_score: float = 0.0,
    payment_year: int = DEFAULT_PAYMENT_YEAR,
    strict: bool = True,
) -> dict[str, Any]:
    """Risk score of one beneficiary for one model through hccinfhir, as a JSON-ready dict.

    `dual` is none/full/partial or a CMS dual code ('00'-'10', 'NA'); `orec` is aged/disabled/
    esrd/disabled_esrd or '0'-'3'; `model` is V28 (default), V24, V22, ESRD-V24 or ESRD-V21;
    `institutional` is hccinfhir's `lti`; `segment` overrides the CMS segment prefix ('INS_',
    'DI_', ...); `maci`, `norm_factor` and `frailty_score` only change `risk_score_payment`;
    `payment_year` picks the CMS tables (2025, 2026). With `strict` (default) a malformed,
    unknown or non-billable code raises CodingInputError; otherwise it is left out and listed
    under `ignored_codes`. Returns the raw, payment, demographic and HCC scores, the HCCs after
    hierarchies with labels, coefficients and the codes behind each HCC.
    """
    if segment is not None and segment not in _SEGMENTS:
        raise CodingInputError(f"segment {segment!r} is not a CMS-HCC segment prefix")
    used, ignored = _usable_codes(dx_codes, strict)
    call = _Call(
        tuple(used),
        model_name(model),
        tables(payment_year),
        age,
        _check_demographics(age, sex),
        _dual_code(dual),
        _orec_code(orec),
        crec if crec is not None else "0",
        institutional,
        new_enrollee,
        snp,
        low_income,
        graft_months,
        segment,
        maci,
        norm_factor,
        frailty_score,
    )
    return _result_dict(_calculate(call), model, call.model_name, payment_year, used, ignored)


def _calculate(call: _Call) -> Any:
    from hccinfhir import calculate_raf

    return calculate_raf(
        diagnosis_codes=[code.replace(".", "") for code in call.codes],
        model_name=call.model_name,  # type: ignore[arg-type]
        age=call.age,
        sex=call.sex,
        dual_elgbl_cd=call.dual,
        orec=call.orec,
        crec=call.crec,
        new_enrollee=call.new_enrollee,
        snp=call.snp,
        low_income=call.low_income,
        lti=call.institutional,
        graft_months=call.graft_months,  # type: ignore[arg-type]
        dx_to_cc_mapping=call.table.dx_to_cc,
        hierarchies_mapping=call.table.hierarchies,
        coefficients_mapping=call.table.coefficients,
        labels_mapping=call.table.labels,
        prefix_override=call.segment,  # type: ignore[arg-type]
        maci=call.maci,
        norm_factor=call.norm_factor,
        frailty_score=call.frailty_score,
    )


def risk_score(
    age: float,
    sex: str,
    dual: str,
    dx_codes: Sequence[str],
    *,
    model: str = "V28",
    orec: str = "aged",
    institutional: bool = False,
    payment_year: int = DEFAULT_PAYMENT_YEAR,
) -> float:
    """Only the raw risk score (same path as `raf`, for codes already validated)."""
    call = _Call(
        tuple(dx_codes),
        model_name(model),
        tables(payment_year),
        age,
        _check_demographics(age, sex),
        _dual_code(dual),
        _orec_code(orec),
        institutional=institutional,
    )
    return float(_calculate(call).risk_score)


def _dotted(code: str) -> str:
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"


def _result_dict(
    result: Any, model: str, name: str, payment_year: int, used: list[str], ignored: list[str]
) -> dict[str, Any]:
    hcc_list = sorted(result.hcc_list, key=_cc_sort)
    by_cc = {detail.hcc: detail for detail in result.hcc_details}
    hccs = [
        {
            "hcc": cc,
            "label": by_cc[cc].label if cc in by_cc else None,
            "coefficient": result.coefficients.get(cc),
            "dx_codes": sorted(_dotted(dx) for dx in result.cc_to_dx.get(cc, ())),
        }
        for cc in hcc_list
    ]
    return {
        "model": model if model in MODELS else name,
        "model_name": name,
        "payment_year": payment_year,
        "risk_score": float(result.risk_score),
        "risk_score_payment": float(result.risk_score_payment),
        "risk_score_demographics": float(result.risk_score_demographics),
        "risk_score_hcc": float(result.risk_score_hcc),
        "hcc_list": hcc_list,
        "hccs": hccs,
        "interactions": {k: float(v) for k, v in sorted(result.interactions.items())},
        "coefficients": {k: float(v) for k, v in sorted(result.coefficients.items())},
        "dx_codes": used,
        "ignored_codes": ignored,
        "engine": _engine_version(),
    }


@lru_cache(maxsize=1)
def _engine_version() -> str:
    return f"hccinfhir {version('hccinfhir')}"
