"""ICD-10-CM code set: normalising, validating billable codes and naming the code-set year.

The installed `simple-icd-10-cm` 1.5.0 carries the FY2026 code set (April 1, 2026 update), which
applies to dates of service 2025-10-01 through 2026-09-30. Dates of service outside that window
are refused with a CodingInputError: validating them against FY2026 would accept deleted codes
and reject new ones (e.g. G20 became G20.A1 in FY2024), so the caller must install the matching
code set rather than get silently wrong answers.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from types import ModuleType

from coding.errors import CodingInputError

CODE_SETS: dict[str, tuple[date, date]] = {"FY2026": (date(2025, 10, 1), date(2026, 9, 30))}
"""Installed ICD-10-CM code sets: year label -> first and last date of service it covers."""

INSTALLED_CODE_SET = "FY2026"
INSTALLED_RELEASE = "FY2026 (April 1, 2026 update), simple-icd-10-cm 1.5.0"

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:[0-9A-Z]{1,4})?$")
_DOTTED = re.compile(r"^[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}$")


def _icd() -> ModuleType:
    """The ICD-10-CM library, imported on first use (it parses its tables at import)."""
    import simple_icd_10_cm

    return simple_icd_10_cm


def code_set_year(date_of_service: date, *, allow_latest: bool = False) -> str:
    """The installed code-set year that covers a date of service, or a CodingInputError.

    With `allow_latest`, a date after every installed code set is validated against the newest
    one (the caller must show `code_set_notice` with the results); earlier dates are refused.
    """
    for year, (first, last) in CODE_SETS.items():
        if first <= date_of_service <= last:
            return year
    first, last = CODE_SETS[INSTALLED_CODE_SET]
    if allow_latest and date_of_service > last:
        return INSTALLED_CODE_SET
    raise CodingInputError(
        f"date of service {date_of_service.isoformat()} is outside the installed ICD-10-CM code "
        f"set {INSTALLED_CODE_SET} ({first.isoformat()}..{last.isoformat()}); codes for that "
        "date cannot be validated. Install the matching code set or correct the date."
    )


def code_set_notice(date_of_service: date) -> str | None:
    """A warning when a date of service is newer than the installed code set, else None."""
    _first, last = CODE_SETS[INSTALLED_CODE_SET]
    if date_of_service <= last:
        return None
    fiscal_year = date_of_service.year + (1 if date_of_service.month >= 10 else 0)
    return (
        f"date of service {date_of_service.isoformat()} falls in FY{fiscal_year}, whose ICD-10-CM "
        f"code set is not installed; codes were validated against {INSTALLED_RELEASE}. Check "
        f"each code against the FY{fiscal_year} code set before submission."
    )


def normalize(code: str) -> str:
    """Upper-case dotted form of an ICD-10-CM code ('e119' -> 'E11.9'), or a CodingInputError."""
    if not isinstance(code, str):
        raise CodingInputError(f"ICD-10-CM code must be text, got {type(code).__name__}")
    text = code.strip().upper()
    compact = text.replace(".", "")
    if not _SHAPE.match(compact) or ("." in text and not _DOTTED.match(text)):
        raise CodingInputError(f"{code!r} is not a well-formed ICD-10-CM code")
    return compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"


def is_billable(code: str) -> bool:
    """True when `code` (dotted or not) is a valid billable (leaf) code of the installed set."""
    icd = _icd()
    try:
        dotted = normalize(code)
    except CodingInputError:
        return False
    return bool(icd.is_valid_item(dotted) and icd.is_leaf(dotted))


def validate(code: str) -> str:
    """Normalise and check that a code is billable in the installed set; the reason if not."""
    dotted = normalize(code)
    icd = _icd()
    if not icd.is_valid_item(dotted):
        raise CodingInputError(f"{dotted} is not an ICD-10-CM code in {INSTALLED_CODE_SET}")
    if not icd.is_leaf(dotted):
        children = ", ".join(icd.get_children(dotted)[:4])
        raise CodingInputError(
            f"{dotted} is a category, not a billable code, in {INSTALLED_CODE_SET}; "
            f"use a more specific code (e.g. {children})"
        )
    return dotted


@lru_cache(maxsize=4096)
def describe(code: str) -> str:
    """The code's description in the installed set ('' when unknown)."""
    icd = _icd()
    try:
        dotted = normalize(code)
    except CodingInputError:
        return ""
    return str(icd.get_description(dotted)) if icd.is_valid_item(dotted) else ""


def looks_like_code(text: str) -> bool:
    """True when a problem-list entry is written as an ICD-10-CM code rather than words."""
    return bool(_SHAPE.match(text.strip().upper().replace(".", "")))
