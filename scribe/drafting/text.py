"""Text utilities: sentence spans, spoken-English clean-up, number words, numbers and terms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from scribe.drafting.rulebook import LanguageRules, language_rules

_SENTENCE_END = re.compile(r"(?:[?!]+|(?<!\.)\.(?!\.))(?=\s|$)")
_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_SPACES = re.compile(r"\s+")
_LONE_I = re.compile(r"\bi\b(?!\.)")
_TIME_OR_UNIT = re.compile(
    r"^(?:mg|milligrams?|mcg|micrograms?|units?|times?|days?|weeks?|months?|years?|hours?|"
    r"minutes?|pounds?|percent|point|plus|out|miles?|year-old|tablets?|pills?|puffs?|"
    r"drinks?|packs?|cups?|servings?|glasses?|grams?|liters?|inches?|feet|centimeters?)\b"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (trailing whitespace excluded)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        _append_span(text, start, end, spans)
        start = end
    _append_span(text, start, len(text), spans)
    return spans


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and re.search(r"\w", text[start:end]):
        spans.append((start, end))


def apply_rewrites(text: str, rewrites: Iterable[tuple[re.Pattern[str], str]]) -> str:
    """Apply compiled (pattern, replacement) pairs in order."""
    for pattern, replacement in rewrites:
        text = pattern.sub(replacement, text)
    return text


def compile_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
    """Compile (pattern, replacement) pairs case-insensitively."""
    return [(re.compile(pattern, re.IGNORECASE), replacement) for pattern, replacement in pairs]


class NumberWords:
    """Turns spoken numbers ("forty", "seven point two", "twenty-five") into digits."""

    def __init__(self, values: dict[str, int]) -> None:
        self._values = values
        words = sorted(values, key=len, reverse=True)
        alternatives = "|".join(words)
        self._run = re.compile(
            rf"\b(?:{alternatives})(?:(?:[\s-]+|\s+and\s+)(?:{alternatives}))*"
            rf"(?:\s+point\s+(?:{alternatives})(?:\s+(?:{alternatives}))*)?\b",
            re.IGNORECASE,
        )

    def replace(self, text: str) -> str:
        """Text with number-word runs replaced by digits where they read as quantities."""
        return self._run.sub(lambda match: self._convert(match, text), text)

    def _convert(self, match: re.Match[str], text: str) -> str:
        words = re.split(r"[\s-]+", match.group(0).lower())
        following = text[match.end() :].lstrip(" ,")
        if words == ["one"] and not _TIME_OR_UNIT.match(following.lower()):
            return match.group(0)
        if "point" in words:
            whole, fraction = _split_at(words, "point")
            digits = "".join(str(self._values.get(word, "")) for word in fraction)
            return f"{self._integer(whole)}.{digits}" if digits else match.group(0)
        return str(self._integer(words))

    def _integer(self, words: list[str]) -> int:
        values = [self._values[word] for word in words if word in self._values]
        if len(values) >= 2 and values[0] < 10 and 10 <= values[1] < 100:
            # "one thirty over eighty": spoken hundreds, as in blood pressures
            return values[0] * 100 + self._integer(words[1:])
        total = current = 0
        for word in words:
            value = self._values.get(word)
            if value is None:
                continue
            if value == 100:
                current = max(current, 1) * 100
            elif value == 1000:
                total += max(current, 1) * 1000
                current = 0
            else:
                current += value
        return total + current


def _split_at(words: list[str], marker: str) -> tuple[list[str], list[str]]:
    index = words.index(marker)
    return words[:index], words[index + 1 :]


class SpokenCleaner:
    """Cleans a spoken sentence into note text: tokenisation, fillers, numbers, units."""

    def __init__(self, rules: LanguageRules | None = None) -> None:
        rules = rules or language_rules()
        self._fixes = compile_pairs(rules.token_fixes)
        self._fillers = compile_pairs(rules.fillers)
        self._numbers = NumberWords(rules.number_words)
        self._units = [
            (re.compile(rf"(\d)\s*{pattern}\b", re.IGNORECASE), rf"\1 {unit}")
            for pattern, unit in rules.units
        ]
        self._forms = compile_pairs(
            [
                (r"(\d+)\s+out\s+of\s+(\d+)", r"\1/\2"),
                (r"(\d+)\s*plus\b", r"\1+"),
                (r"(\d+)\s*(?:-|\s)?years?(?:-|\s)old\b", r"\1-year-old"),
                (r"(\d+)\s+over\s+(\d+)", r"\1/\2"),
                (r"(\d+)\s+%", r"\1%"),
            ]
        )

    def tidy(self, text: str) -> str:
        """Tokenisation fixes, filler removal, digits and units; no capitalisation."""
        text = apply_rewrites(_SPACES.sub(" ", text).strip(), self._fixes)
        for _ in range(2):
            text = apply_rewrites(text, self._fillers).strip()
        return self._finish(text)

    def normalise(self, text: str) -> str:
        """Tokenisation fixes, digits and units only: wording is kept (for comparing facts)."""
        return self._finish(apply_rewrites(_SPACES.sub(" ", text).strip(), self._fixes))

    def _finish(self, text: str) -> str:
        text = self._numbers.replace(text)
        text = apply_rewrites(text, self._units)
        text = apply_rewrites(text, self._forms)
        text = re.sub(r"\s+([,.?!;:])", r"\1", text)
        return _SPACES.sub(" ", text).strip(" ,;")

    def sentence(self, text: str) -> str:
        """A tidy note sentence: capitalised and ending with a full stop."""
        return as_sentence(self.tidy(text))

    def digits(self, text: str) -> str:
        """Only the number-word conversion (for comparing numbers)."""
        return self._numbers.replace(text)


def as_sentence(text: str) -> str:
    """Capitalise the first letter and end with one full stop."""
    text = text.strip(" ,;:-")
    text = re.sub(r"[.?!,;:]+$", "", text).strip()
    if not text:
        return ""
    text = _LONE_I.sub("I", text)
    return text[0].upper() + text[1:] + "."


def format_number(value: str) -> str:
    """Canonical form of a number string ("07" -> "7", "7.0" -> "7", "7.20" -> "7.2")."""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:g}"


@lru_cache(maxsize=1)
def _default_cleaner() -> SpokenCleaner:
    return SpokenCleaner()


def numbers_in(text: str, cleaner: SpokenCleaner | None = None) -> set[str]:
    """The set of numbers in `text`, number words included, in canonical form."""
    cleaner = cleaner or _default_cleaner()
    return {format_number(match.group(0)) for match in _NUMBER.finditer(cleaner.digits(text))}


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return _WORD.findall(text.lower())


def join_items(items: Sequence[str]) -> str:
    """Join items as English: "a", "a and b", "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]
