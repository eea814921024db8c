"""Spoken numbers: turning runs of number words ("five five five", "nineteen fifty") into digits.

Shared by the spoken-form recognizer and the date shifter.
"""

from __future__ import annotations

from scribe.deid.config import SpokenConfig


class NumberWords:
    """Reads number words, ordinals and month names as configured in `spoken.yaml`."""

    def __init__(self, config: SpokenConfig) -> None:
        self.digits = dict(config.digits)
        self.teens = dict(config.teens)
        self.tens = dict(config.tens)
        self.scales = dict(config.scales)
        self.repeaters = dict(config.repeaters)
        self.ordinals = dict(config.ordinals)
        self.months = dict(config.months)
        self._all = (
            set(self.digits)
            | set(self.teens)
            | set(self.tens)
            | set(self.scales)
            | set(self.repeaters)
        )
        self.words = frozenset(self._all)

    def parts(self, word: str) -> list[str]:
        """A hyphenated compound ("fifty-two") split into its words."""
        return [part for part in word.lower().split("-") if part]

    def is_number_word(self, word: str) -> bool:
        """Every part of the word is a cardinal number word ("oh" and "double" included)."""
        parts = self.parts(word)
        return bool(parts) and all(part in self._all for part in parts)

    def is_single_digit(self, word: str) -> bool:
        """A word read as one digit ("five", "oh")."""
        return word.lower() in self.digits

    def digit_string(self, words: list[str]) -> str:
        """Digits as dictated: "five five five" -> "555", "twelve twelve" -> "1212".

        Numerals among the words are kept as they are; "double five" gives "55".
        """
        out: list[str] = []
        repeat = 1
        previous = ""
        for word in words:
            if word.isdigit():
                out.append(word * repeat)
                repeat, previous = 1, ""
                continue
            for part in self.parts(word):
                if part in self.repeaters:
                    repeat = self.repeaters[part]
                    continue
                if part in self.digits and previous in self.tens and repeat == 1:
                    out[-1] = out[-1][0]  # "fifty two" is 52, not 502
                out.append(self._part_digits(part) * repeat)
                repeat, previous = 1, part
        return "".join(out)

    def _part_digits(self, part: str) -> str:
        for table in (self.digits, self.teens, self.tens):
            if part in table:
                return str(table[part])
        if part in self.scales:
            return "00" if part == "hundred" else "000"
        return ""

    def value(self, words: list[str]) -> int | None:
        """Cardinal value: "ninety two" -> 92, "a hundred and one" -> 101; None if not a number."""
        total = 0
        current = 0
        seen = False
        for word in words:
            for part in self.parts(word):
                if part in {"a", "and"}:
                    continue
                if part in self.digits and part not in {"oh", "o"}:
                    current += self.digits[part]
                elif part in self.teens:
                    current += self.teens[part]
                elif part in self.tens:
                    current += self.tens[part]
                elif part == "hundred":
                    current = max(current, 1) * 100
                elif part == "thousand":
                    total += max(current, 1) * 1000
                    current = 0
                else:
                    return None
                seen = True
        return total + current if seen else None

    def ordinal(self, words: list[str]) -> int | None:
        """Day of month from ordinal words: "third" -> 3, "twenty first" -> 21, "31st" -> 31."""
        parts = [part for word in words for part in self.parts(word)]
        if not parts:
            return None
        if (
            len(parts) == 1
            and parts[0][:-2].isdigit()
            and parts[0][-2:] in {"st", "nd", "rd", "th"}
        ):
            return int(parts[0][:-2])
        if parts[-1] not in self.ordinals:
            return None
        head = self.value(parts[:-1]) if len(parts) > 1 else 0
        if head is None:
            return None
        return head + self.ordinals[parts[-1]]

    def year(self, words: list[str]) -> int | None:
        """A spoken year: "nineteen fifty" -> 1950, "two thousand five" -> 2005, "2019"."""
        parts = [part for word in words for part in self.parts(word)]
        if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) == 4:
            return int(parts[0])
        if parts and parts[0] in {"nineteen", "twenty"} and len(parts) >= 2:
            if parts[1] in {"hundred", "thousand"}:
                return self._whole_year(parts)
            rest = self.value(parts[1:]) if parts[1] not in {"oh", "o"} else self.value(parts[2:])
            if rest is not None and rest < 100:
                return (1900 if parts[0] == "nineteen" else 2000) + rest
        return self._whole_year(parts)

    def _whole_year(self, parts: list[str]) -> int | None:
        value = self.value(parts)
        return value if value is not None and 1850 <= value <= 2100 else None
