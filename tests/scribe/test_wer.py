"""Word error rate and its normaliser."""

from __future__ import annotations

import pytest

from scribe.evaluation.wer import normalise_text, spell_number, word_error_rate


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Walk 30 minutes.", "walk thirty minutes"),
        ("BP 148/86", "bp one hundred forty eight over eighty six"),
        ("A1c of 8.2%", "a one c of eight point two percent"),
        ("metformin 1,000 mg", "metformin one thousand mg"),
        ("It's OK, I don't know", "it is okay i do not know"),
        ("follow-up on the 2nd", "follow up on the second"),
    ],
)
def test_normaliser_makes_formatting_free(written: str, spoken: str) -> None:
    assert normalise_text(written) == spoken


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (148, "one hundred forty eight"),
        (2026, "two thousand twenty six"),
        (1_000_000, "one million"),
    ],
)
def test_spell_number(value: int, words: str) -> None:
    assert spell_number(value) == words


def test_wer_counts_real_errors_only() -> None:
    reference = "Your blood pressure is 148 over 86."
    assert (
        word_error_rate(reference, "your blood pressure is one hundred forty-eight over 86") == 0.0
    )
    # one substitution in eleven words (the numbers count as the words they are spoken as)
    assert word_error_rate(reference, "Your blood pressure was 148 over 86.") == pytest.approx(
        1 / 11
    )
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    assert word_error_rate("no chest pain", "") == 1.0
