"""Word error rate with a normaliser that makes formatting differences free.

Both texts are lowercased, contractions expanded, punctuation dropped, and numbers spelt out in
words ("20" and "twenty" are the same word; "148/86" reads "one hundred forty eight over eighty
six"; "8.2" reads "eight point two"), so only real recognition errors count.
"""

from __future__ import annotations

import re

import jiwer

from scribe.number_words import BELOW_TWENTY, TENS

__all__ = ["normalise_text", "spell_number", "word_error_rate"]

_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_ORDINALS = {
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "6th": "sixth",
    "7th": "seventh",
    "8th": "eighth",
    "9th": "ninth",
    "10th": "tenth",
}
_CONTRACTIONS = {
    "won't": "will not",
    "can't": "can not",
    "cannot": "can not",
    "n't": " not",
    "'m": " am",
    "'re": " are",
    "'ve": " have",
    "'ll": " will",
    "'d": " would",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "let's": "let us",
    "he's": "he is",
    "she's": "she is",
}
_SPELLING = {"ok": "okay", "mr": "mister", "mrs": "missus", "dr": "doctor", "gonna": "going to"}


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of `hypothesis` against `reference` after `normalise_text` on both.

    An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise.
    """
    ref = normalise_text(reference)
    hyp = normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def normalise_text(text: str) -> str:
    """Lowercase, expand contractions, spell numbers, drop punctuation; words joined by spaces."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=\d)\s*/\s*(?=\d)", " over ", text)
    text = text.replace("%", " percent ").replace("&", " and ")
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _ORDINALS.get(m.group(0), m.group(1)), text)
    for short, full in _CONTRACTIONS.items():
        text = text.replace(short, full)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: f" {_spell_numeral(m.group(0))} ", text)
    text = re.sub(r"[^a-z ]+", " ", text.replace("'", ""))
    return " ".join(_SPELLING.get(word, word) for word in text.split())


def spell_number(value: int) -> str:
    """An integer in words, without 'and': 148 -> 'one hundred forty eight'."""
    if value < 0:
        return "minus " + spell_number(-value)
    if value < 20:
        return BELOW_TWENTY[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return TENS[tens] + (" " + BELOW_TWENTY[ones] if ones else "")
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return BELOW_TWENTY[hundreds] + " hundred" + (" " + spell_number(rest) if rest else "")
    for scale, name in _SCALES:
        if value >= scale:
            high, rest = divmod(value, scale)
            return spell_number(high) + " " + name + (" " + spell_number(rest) if rest else "")
    raise AssertionError("unreachable")  # pragma: no cover


def _spell_numeral(numeral: str) -> str:
    whole, _, fraction = numeral.partition(".")
    words = spell_number(int(whole))
    if fraction:
        words += " point " + " ".join(BELOW_TWENTY[int(digit)] for digit in fraction)
    return words
