"""Operators, consistent surrogates, date shifting, mapping and re-identification."""

from __future__ import annotations

import re
from datetime import date

import pytest

from scribe.deid import RemoteRoundTrip, SurrogateSession, date_shift_for_patient
from scribe.deid.engine import PresidioDeidentifier

VISIT = "Dr. Okafor saw Maria Alvarez on 3/14/2021. Call (410) 555-0142. Maria will return."


def test_tag_operator(deidentifier: PresidioDeidentifier) -> None:
    out = deidentifier.deidentify(VISIT, operator="tag").text
    assert out == "Dr. [NAME] saw [NAME] on [DATE]. Call [PHONE]. [NAME] will return."


def test_redact_operator(deidentifier: PresidioDeidentifier) -> None:
    out = deidentifier.deidentify(VISIT, operator="redact").text
    assert "Okafor" not in out and "Alvarez" not in out and "555-0142" not in out
    assert out.count("[REDACTED]") == 5


def test_unknown_operator_is_refused(deidentifier: PresidioDeidentifier) -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        deidentifier.deidentify(VISIT, operator="shuffle")  # type: ignore[arg-type]


def test_surrogates_consistent_within_encounter(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(seed=7)
    first = deidentifier.deidentify(VISIT, operator="surrogate", session=session).text
    second = deidentifier.deidentify(
        "Maria Alvarez asked Dr. Okafor about Eliquis.", operator="surrogate", session=session
    ).text
    for original in ("Maria", "Alvarez", "Okafor", "555-0142"):
        assert original not in first and original not in second
    maria = next(e.surrogate for e in session.mapping() if e.original == "Maria")
    okafor = next(e.surrogate for e in session.mapping() if e.original == "Okafor")
    assert first.count(maria) == 2 and maria in second
    assert okafor in first and okafor in second
    assert "Eliquis" in second


def test_different_people_get_different_surrogates(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(seed=3)
    deidentifier.deidentify(
        "Son Bill and daughter Peggy visited; Dr. Okafor and Dr. Szabo consulted.",
        operator="surrogate",
        session=session,
    )
    surrogates = [entry.surrogate for entry in session.mapping()]
    assert len(surrogates) == len(set(surrogates)) == 4


def test_date_shift_preserves_intervals(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(date_shift_days=-40, seed=1)
    text = "Admitted 01/28/2020, discharged 02/03/2020, seen again 03/01/2020."
    out = deidentifier.deidentify(text, operator="surrogate", session=session).text
    found = [
        date(int(y), int(m), int(d)) for m, d, y in re.findall(r"(\d{2})/(\d{2})/(\d{4})", out)
    ]
    originals = [date(2020, 1, 28), date(2020, 2, 3), date(2020, 3, 1)]
    assert [(b - a).days for a, b in zip(found, found[1:], strict=False)] == [6, 27]
    assert [(f - o).days for f, o in zip(found, originals, strict=True)] == [-40] * 3


def test_spoken_and_named_dates_are_shifted(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(date_shift_days=30, seed=1)
    out = deidentifier.deidentify(
        "My birthday is July fourth nineteen fifty, last visit March 3rd, 2020.",
        operator="surrogate",
        session=session,
    ).text
    assert "August third nineteen fifty" in out
    assert "April 2nd, 2020" in out


def test_patient_date_shift_is_stable_and_secret_dependent() -> None:
    first = date_shift_for_patient("patient-17", secret=b"k1")
    assert first == date_shift_for_patient("patient-17", secret=b"k1")
    assert first != 0 and abs(first) <= 365
    shifts = {date_shift_for_patient(f"patient-{i}", secret=b"k1") for i in range(20)}
    assert len(shifts) > 10
    session = SurrogateSession.for_patient("patient-17", secret=b"k1")
    assert session.date_shift_days == first


def test_reidentify_round_trip(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(seed=11)
    deid = deidentifier.deidentify(VISIT, operator="surrogate", session=session).text
    assert session.reidentify(deid) == VISIT


def test_mapping_record_restores_a_session(deidentifier: PresidioDeidentifier) -> None:
    session = SurrogateSession(seed=5)
    deid = deidentifier.deidentify(VISIT, operator="surrogate", session=session).text
    rows = [entry.to_dict() for entry in session.mapping()]
    assert {"surrogate", "original", "type"} <= set(rows[0])
    assert {"original": "Okafor", "type": "PERSON"}.items() <= next(
        row for row in rows if row["original"] == "Okafor"
    ).items()
    restored = SurrogateSession.from_record(session.to_record())
    assert restored.date_shift_days == session.date_shift_days
    assert restored.reidentify(deid) == VISIT
    again = deidentifier.deidentify("Okafor called.", operator="surrogate", session=restored)
    okafor = next(row["surrogate"] for row in rows if row["original"] == "Okafor")
    assert again.text == f"{okafor} called."


def test_remote_round_trip_sends_no_phi(deidentifier: PresidioDeidentifier) -> None:
    sent: list[str] = []

    def fake_llm(prompt: str) -> str:
        sent.append(prompt)
        return "Draft note: " + prompt.upper().replace("SAW", "examined").lower()

    trip = RemoteRoundTrip(deidentifier, SurrogateSession(seed=2))
    reply = trip.call("Dr. Okafor saw Maria Alvarez, phone 410-555-0142.", fake_llm)
    assert all(phi not in sent[0] for phi in ("Okafor", "Maria", "Alvarez", "555-0142"))
    assert "Okafor" in reply or "OKAFOR" in reply.upper()
    assert "410-555-0142" in reply
