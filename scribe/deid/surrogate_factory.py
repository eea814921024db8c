"""Inventing surrogate values of the right shape for each kind of identifier."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

from scribe.deid.config import DeidConfig
from scribe.deid.dates import DateShifter
from scribe.deid.numwords import NumberWords
from scribe.deid.surrogates import SurrogateSession

_NAME_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)*")
_DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _match_case(template: str, value: str) -> str:
    if template.isupper() and len(template) > 1:
        return value.upper()
    if template.islower():
        return value.lower()
    return value


def _shape_preserving(original: str, session: SurrogateSession) -> str:
    """Same length and layout, every digit and letter replaced at random."""
    rng = session.rng
    out = []
    for ch in original:
        if ch.isdigit():
            out.append(str(rng.randint(0, 9)))
        elif ch.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        elif ch.islower():
            out.append(rng.choice(string.ascii_lowercase))
        else:
            out.append(ch)
    return "".join(out)


class SurrogateFactory:
    """Builds surrogate values; the session keeps them consistent and reversible."""

    def __init__(self, config: DeidConfig) -> None:
        self._pools = config.surrogates
        self._first_names = config.lexicons.first_names
        self._numbers = NumberWords(config.spoken)
        self._tags = {name: spec.tag for name, spec in config.engine.entities.items()}
        self._makers: dict[str, Callable[[str, SurrogateSession], str]] = {
            "PERSON": self._person,
            "DATE": self._date,
            "AGE": self._age,
            "EMAIL": self._email,
            "URL": lambda o, s: f"{self._pools.url_base}page{s.next_number('URL')}",
            "IP_ADDRESS": lambda o, s: f"192.0.2.{s.next_number('IP_ADDRESS') % 250 + 1}",
            "LOCATION": lambda o, s: self._pick(self._pools.towns, o, s),
            "FACILITY": self._facility,
            "STREET_ADDRESS": self._street,
        }

    def surrogate(self, entity: str, original: str, session: SurrogateSession) -> str:
        """The session's surrogate for `original`, invented on first sight."""
        known = session.known(entity, original)
        if known is not None:
            return known
        maker = self._makers.get(entity, self._spoken_or_shaped)
        value = maker(original, session)
        if entity == "PERSON":
            return value  # recorded token by token in _person
        if not value or session.is_used(value) or value == original:
            value = self.numbered_tag(entity, session)
        return session.remember(entity, original, value)

    def numbered_tag(self, entity: str, session: SurrogateSession) -> str:
        """A reversible placeholder such as [NAME_3]."""
        return f"[{self._tags.get(entity, entity)}_{session.next_number(entity)}]"

    # --- kinds ---------------------------------------------------------------------------------

    def _pick(self, pool: list[str], original: str, session: SurrogateSession) -> str:
        free = [value for value in pool if not session.is_used(value) and value != original]
        return _match_case(original, session.rng.choice(free)) if free else ""

    def _person(self, original: str, session: SurrogateSession) -> str:
        tokens = list(_NAME_TOKEN.finditer(original))
        out, last = [], 0
        for index, match in enumerate(tokens):
            out.append(original[last : match.start()])
            out.append(self._name_token(match.group(), index, len(tokens), session))
            last = match.end()
        out.append(original[last:])
        return "".join(out)

    def _name_token(self, token: str, index: int, count: int, session: SurrogateSession) -> str:
        stem, possessive = token, ""
        if token.lower().endswith(("'s", "\u2019s")):
            stem, possessive = token[:-2], token[-2:]
        known = session.known("PERSON", stem)
        if known is None:
            if len(stem) == 1:
                letters = [c for c in string.ascii_uppercase if c != stem.upper()]
                value = _match_case(stem, session.rng.choice(letters))
            else:
                first = stem.lower() in self._first_names and (index < count - 1 or count == 1)
                pool = self._pools.first_names if first else self._pools.surnames
                value = self._pick(pool, stem, session) or self.numbered_tag("PERSON", session)
            known = session.remember("PERSON", stem, value)
        return known + possessive

    def _date(self, original: str, session: SurrogateSession) -> str:
        shifted = DateShifter(self._numbers, session.date_shift_days).shift(original)
        return shifted if shifted is not None else self.numbered_tag("DATE", session)

    def _age(self, original: str, session: SurrogateSession) -> str:
        if any(ch.isdigit() for ch in original):
            return "90+"
        return "over ninety"

    def _email(self, original: str, session: SurrogateSession) -> str:
        first = session.rng.choice(self._pools.first_names).lower()
        last = session.rng.choice(self._pools.surnames).lower()
        return f"{first}.{last}{session.rng.randint(1, 99)}@{self._pools.email_domain}"

    def _facility(self, original: str, session: SurrogateSession) -> str:
        stripped = original.strip()
        if stripped.isupper() and len(stripped) <= 6 and " " not in stripped:
            return _shape_preserving(stripped, session)
        return self._pick(self._pools.facilities, original, session)

    def _street(self, original: str, session: SurrogateSession) -> str:
        rng = session.rng
        street = rng.choice(self._pools.streets)
        suffix = rng.choice(self._pools.street_suffixes)
        number = str(rng.randint(10, 9899))
        if not any(ch.isdigit() for ch in original):
            number = " ".join(_DIGIT_WORDS[int(d)] for d in number)
        return f"{number} {street} {suffix}"

    def _spoken_or_shaped(self, original: str, session: SurrogateSession) -> str:
        words = original.replace(",", " ").replace("-", " ").split()
        if words and all(self._numbers.is_number_word(w) or len(w) == 1 for w in words):
            return self._spoken_digits(words, session)
        return _shape_preserving(original, session)

    def _spoken_digits(self, words: list[str], session: SurrogateSession) -> str:
        digits = self._numbers.digit_string([w for w in words if len(w) > 1 or w.isdigit()])
        letters = [w for w in words if len(w) == 1 and w.isalpha()]
        out = [_DIGIT_WORDS[session.rng.randint(0, 9)] for _ in digits]
        out += [session.rng.choice(string.ascii_uppercase) for _ in letters]
        return " ".join(out)
