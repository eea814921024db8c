"""Bad input: empty, binary, non-UTF-8, huge; and text without PHI."""

from __future__ import annotations

import pytest

from scribe.deid import DeidInputError
from scribe.deid.engine import PresidioDeidentifier


@pytest.mark.parametrize("value", ["", "   \n\t "])
def test_empty_text_is_refused(deidentifier: PresidioDeidentifier, value: str) -> None:
    with pytest.raises(DeidInputError, match="empty"):
        deidentifier.deidentify(value)


def test_non_utf8_bytes_are_refused(deidentifier: PresidioDeidentifier) -> None:
    with pytest.raises(DeidInputError, match="not UTF-8"):
        deidentifier.analyze("Dr. Smith".encode("utf-16"))


def test_binary_is_refused(deidentifier: PresidioDeidentifier) -> None:
    with pytest.raises(DeidInputError, match="binary"):
        deidentifier.analyze(b"\x00\x01\x02PK\x03\x04 some zip bytes")


def test_huge_text_is_refused_with_the_limit(deidentifier: PresidioDeidentifier) -> None:
    huge = "word " * (deidentifier.max_chars // 5 + 10)
    with pytest.raises(DeidInputError, match="limit") as error:
        deidentifier.analyze(huge)
    assert f"{deidentifier.max_chars:,}" in str(error.value)


def test_error_is_a_value_error() -> None:
    assert issubclass(DeidInputError, ValueError)


def test_utf8_bytes_are_accepted(deidentifier: PresidioDeidentifier) -> None:
    spans = deidentifier.analyze("Seen by Dr. Müller on 3/4/21.".encode())
    assert {s.entity for s in spans} == {"PERSON", "DATE"}


def test_text_without_phi_is_returned_unchanged(deidentifier: PresidioDeidentifier) -> None:
    text = (
        "Assessment: type 2 diabetes, A1c 8.1, start metformin 500 mg twice daily. "
        "Lungs clear, heart regular, no edema. Return in three months."
    )
    result = deidentifier.deidentify(text, operator="surrogate")
    assert result.text == text
    assert result.spans == ()


def test_batch_allows_empty_texts(deidentifier: PresidioDeidentifier) -> None:
    assert deidentifier.analyze_many(["", "Dr. Okafor called."])[0] == []
