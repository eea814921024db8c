"""Field labels next to identifiers (DOB, MRN, BP) are not names; the values still are PHI."""

from __future__ import annotations

from scribe.deid import PresidioDeidentifier


def test_labels_stay_and_values_go(deidentifier: PresidioDeidentifier) -> None:
    text = "Patient Walter Brennan, DOB 03/14/1952, MRN 4482913, phone 617-555-0142."
    result = deidentifier.deidentify(text, operator="tag").text
    assert result.startswith("Patient [NAME], DOB [DATE], MRN [")
    for value in ("Walter", "Brennan", "03/14/1952", "4482913", "617-555-0142"):
        assert value not in result
