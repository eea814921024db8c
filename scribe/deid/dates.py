"""Date shifting: parse a detected date, move it by a fixed number of days, write it back alike.

All dates of one patient move by the same offset, so intervals between them are preserved.
Written forms keep their shape ("3/14/52" stays m/d/yy, "March 3rd" stays month-name-day);
spoken forms ("July fourth nineteen fifty") are written back as words.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from scribe.deid.numwords import NumberWords
from scribe.number_words import BELOW_TWENTY, TENS

_REFERENCE_YEAR = 2000  # a leap year, so 2/29 without a year still parses
_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})([/.-])(\d{1,2})\2(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{2}|\d{4})$")  # mmddyy, mmddyyyy
_SUFFIX = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$", re.IGNORECASE)
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_ORDINAL_WORDS = [
    "",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]


def _full_year(two_digits: int, today: date) -> int:
    pivot = today.year % 100 + 1
    return (1900 if two_digits > pivot else 2000) + two_digits


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _ordinal_suffix(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _two_digit_words(value: int) -> str:
    if value < 20:
        return BELOW_TWENTY[value]
    tens, units = divmod(value, 10)
    return TENS[tens] + (f" {BELOW_TWENTY[units]}" if units else "")


def ordinal_words(day: int) -> str:
    """21 -> "twenty first"."""
    if day <= 20:
        return _ORDINAL_WORDS[day]
    tens, units = divmod(day, 10)
    if not units:
        return "thirtieth" if tens == 3 else "twentieth"
    return f"{TENS[tens]} {_ORDINAL_WORDS[units]}"


def year_words(year: int) -> str:
    """1950 -> "nineteen fifty", 2005 -> "two thousand five"."""
    century, rest = divmod(year, 100)
    if century == 20 and rest < 10:
        return "two thousand" + (f" {BELOW_TWENTY[rest]}" if rest else "")
    head = _two_digit_words(century)
    if rest == 0:
        return f"{head} hundred"
    if rest < 10:
        return f"{head} oh {BELOW_TWENTY[rest]}"
    return f"{head} {_two_digit_words(rest)}"


def _month_text(month: int, template: str) -> str:
    name = _MONTH_NAMES[month - 1]
    stem = template.rstrip(".")
    if stem.lower() not in {full.lower() for full in _MONTH_NAMES}:
        name = name[:3] if month != 9 or len(stem) == 3 else "Sept"
        name += "." if template.endswith(".") else ""
    if template.isupper():
        return name.upper()
    if template.islower():
        return name.lower()
    return name


class DateShifter:
    """Shifts dates written in the common forms by a fixed number of days."""

    def __init__(self, numbers: NumberWords, days: int, *, today: date | None = None) -> None:
        self._numbers = numbers
        self._delta = timedelta(days=days)
        self._today = today or date.today()

    def shift(self, text: str) -> str | None:
        """The shifted date in the same form, or None when `text` is not a date we can read."""
        value = text.strip()
        for method in (self._numeric, self._iso, self._compact, self._named):
            result = method(value)
            if result is not None:
                return result
        return None

    def _numeric(self, value: str) -> str | None:
        match = _NUMERIC.match(value)
        if not match:
            return None
        month, sep, day, year_text = match.groups()
        year = _REFERENCE_YEAR
        if year_text:
            year = (
                int(year_text) if len(year_text) == 4 else _full_year(int(year_text), self._today)
            )
        parsed = _safe_date(year, int(month), int(day))
        if parsed is None:
            return None
        new = parsed + self._delta
        m = f"{new.month:02d}" if len(month) == 2 else str(new.month)
        d = f"{new.day:02d}" if len(day) == 2 else str(new.day)
        out = f"{m}{sep}{d}"
        if year_text:
            out += sep + (str(new.year) if len(year_text) == 4 else f"{new.year % 100:02d}")
        return out

    def _iso(self, value: str) -> str | None:
        match = _ISO.match(value)
        if not match:
            return None
        year, sep, month, day = match.groups()
        parsed = _safe_date(int(year), int(month), int(day))
        if parsed is None:
            return None
        new = parsed + self._delta
        return f"{new.year}{sep}{new.month:02d}{sep}{new.day:02d}"

    def _compact(self, value: str) -> str | None:
        match = _COMPACT.match(value)
        if not match:
            return None
        month, day, year_text = match.groups()
        long_year = len(year_text) == 4
        year = int(year_text) if long_year else _full_year(int(year_text), self._today)
        parsed = _safe_date(year, int(month), int(day))
        if parsed is None:
            return None
        new = parsed + self._delta
        year_out = str(new.year) if long_year else f"{new.year % 100:02d}"
        return f"{new.month:02d}{new.day:02d}{year_out}"

    def _named(self, value: str) -> str | None:
        words = re.findall(r"[A-Za-z]+\.?|\d+(?:st|nd|rd|th)?|'\d{2}", value)
        months = [w for w in words if w.lower().rstrip(".") in self._numbers.months]
        if len(months) != 1:
            return None
        month_word = months[0]
        month = self._numbers.months[month_word.lower().rstrip(".")]
        rest = [w for w in words if w is not month_word and w.lower() not in {"the", "of"}]
        day, day_words, year_words_ = self._split_day_year(rest)
        year = self._year(year_words_)
        if year_words_ and year is None:
            return None
        parsed = _safe_date(year or _REFERENCE_YEAR, month, day or 15)
        if parsed is None:
            return None
        new = parsed + self._delta
        spoken = bool(day_words) and not day_words[0][0].isdigit()
        out = self._write_named(
            new,
            month_word,
            day_words,
            year is not None,
            spoken,
            day_first=value.lower().find(month_word.lower()) > 0,
        )
        if not day_words and year is not None and " of " in value.lower():
            out = out.replace(", ", " of ", 1)
        elif not day_words and year is not None:
            out = out.replace(", ", " ", 1)
        return f"the {out}" if value.lower().startswith("the ") else out

    def _split_day_year(self, rest: list[str]) -> tuple[int | None, list[str], list[str]]:
        for size in (2, 1):
            if len(rest) >= size:
                day = self._numbers.ordinal([w.lower() for w in rest[:size]])
                if day is None and size == 1 and _SUFFIX.match(rest[0]):
                    day = int(_SUFFIX.match(rest[0]).group(1))  # type: ignore[union-attr]
                if day is not None and 1 <= day <= 31:
                    return day, rest[:size], rest[size:]
        return None, [], rest

    def _year(self, words: list[str]) -> int | None:
        if not words:
            return None
        if len(words) == 1 and words[0].startswith("'"):
            return _full_year(int(words[0][1:]), self._today)
        return self._numbers.year([w.lower() for w in words])

    @staticmethod
    def _write_named(
        new: date,
        month_word: str,
        day_words: list[str],
        has_year: bool,
        spoken: bool,
        *,
        day_first: bool,
    ) -> str:
        month = _month_text(new.month, month_word)
        if not day_words:
            day = ""
        elif spoken:
            day = ordinal_words(new.day)
        elif day_words[0][-2:].isalpha():
            day = f"{new.day}{_ordinal_suffix(new.day)}"
        else:
            day = str(new.day)
        if day_first and day:
            out = f"{day} of {month}" if spoken else f"{day} {month}"
        else:
            out = f"{month} {day}".strip()
        if has_year:
            out += f" {year_words(new.year)}" if spoken else f", {new.year}"
        return out
