"""English number words shared by the WER normaliser and the spoken-date surrogates."""

from __future__ import annotations

BELOW_TWENTY = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
"""Words for 0-19, indexed by value."""

TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
"""Words for the tens 20-90, indexed by the tens digit (0 and 1 have none)."""
