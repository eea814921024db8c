"""Date ranges, compact dates, study dates, event times, wards and employers; and their traps.

Synthetic sentences written in the style of nursing notes. Each `phi` string must be entirely
inside detected spans; each `keep` string must not overlap any span.
"""

from __future__ import annotations

import pytest

from scribe.deid import SurrogateSession
from scribe.deid.engine import PresidioDeidentifier

PHI = [
    ("Radiation treatments 10/3-10/5, next dose 10/12.", ["10/3", "10/5", "10/12"]),
    ("Antibiotics 9/16 to 9/20 without fever.", ["9/16", "9/20"]),
    ("HAD TREATMENTS 11/02/11/03 AND DUE AGAIN TOMORROW.", ["11/02", "11/03"]),
    ("Plan: family meeting 041288 with the team.", ["041288"]),
    ("Prior echo dated 07151998, report scanned.", ["07151998"]),
    ("BC FROM 2-7 GREW GPC IN CLUSTERS.", ["2-7"]),
    ("Sputum of 11-2 with gram negative rods.", ["11-2"]),
    ("admission note 2240", ["2240"]),
    ("Time of death 0415.", ["0415"]),
    ("Pronounced at 04:15 by the covering resident.", ["04:15"]),
    ("pt transferred to 412 blakemoor.", ["blakemoor"]),
    ("plan: c/o to blakemoor when bed available.", ["blakemoor"]),
    ("Pt admitted to U Maryland ER with chest pain.", ["U Maryland"]),
    ("He works for Zorblatt Industries in sales.", ["Zorblatt"]),
    ("She is employed by Quillfeather Logistics.", ["Quillfeather"]),
]

KEEP = [
    ("Strength 4/5-5/5 in the legs, 5/5/5/5 on the right.", ["4/5-5/5", "5/5/5/5"]),
    ("Motor 4/5/4/5 bilaterally.", ["4/5/4/5"]),
    ("Pain 3/10-5/10 with movement.", ["3/10-5/10"]),
    ("Vent PS 10/5-12/5 overnight.", ["10/5-12/5"]),
    ("Take 1/2 to 3/4 tablet at night.", ["1/2 to 3/4"]),
    ("BP 100/60-120/80 today.", ["100/60-120/80"]),
    ("Nursing Progress Note 0700-1900", ["0700-1900"]),
    ("Admission note 2115-0700 shift.", ["2115-0700"]),
    ("Plt 112000, WBC 120000, heparin 100000 units.", ["112000", "120000", "100000"]),
    ("Received 120000 cells/mm3.", ["120000"]),
    ("Repeat cultures from 2-3 sites; BC from 3-5 days ago negative.", ["2-3", "3-5"]),
    ("Urine output 100-200 cc/hr, cxr of 2-3 views.", ["100-200", "2-3"]),
    ("ps increased back to 8 cmh2o after the gas.", ["8 cmh2o"]),
    ("likely will be called out to vicu later on.", ["vicu"]),
    ("Gave 10 U Regular insulin and transferred to 4 West.", ["10 U Regular", "4 West"]),
    ("Heart rate back to 110 bpm, returned to 100% FiO2.", ["110 bpm", "100% FiO2"]),
]


def _covered(spans, start: int, end: int) -> bool:
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, end))


@pytest.mark.parametrize(("text", "phi"), PHI, ids=[text[:40] for text, _ in PHI])
def test_detected(deidentifier: PresidioDeidentifier, text: str, phi: list[str]) -> None:
    spans = deidentifier.analyze(text)
    for value in phi:
        start = text.index(value)
        assert _covered(spans, start, start + len(value)), f"{value!r} missed in {text!r}: {spans}"


@pytest.mark.parametrize(("text", "keep"), KEEP, ids=[text[:40] for text, _ in KEEP])
def test_trap_kept(deidentifier: PresidioDeidentifier, text: str, keep: list[str]) -> None:
    spans = deidentifier.analyze(text)
    for value in keep:
        start = text.index(value)
        end = start + len(value)
        hits = [text[s.start : s.end] for s in spans if s.start < end and start < s.end]
        assert not hits, f"{value!r} was flagged as PHI ({hits}) in {text!r}"


def test_each_date_of_a_range_is_shifted(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(date_shift_days=10, seed=1)
    text = "Treatments 10/03/10/04, then 11/3-11/5."
    out = deidentifier.deidentify(text, operator="surrogate", session=session).text
    assert out == "Treatments 10/13/10/14, then 11/13-11/15."


def test_compact_date_is_shifted_in_the_same_form(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(date_shift_days=10, seed=1)
    out = deidentifier.deidentify(
        "family meeting 052647; echo 07151998", operator="surrogate", session=session
    ).text
    assert out == "family meeting 060547; echo 07251998"


def test_event_time_is_tagged(deidentifier: PresidioDeidentifier) -> None:
    assert deidentifier.deidentify("admission note 2240").text == "admission note [DATE]"
