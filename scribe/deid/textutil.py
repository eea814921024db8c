"""Small text helpers shared by the recognizers: a fast tokenizer and casing of a text."""

from __future__ import annotations

import re
from typing import Literal

from scribe.deid.spans import Token

CaseMode = Literal["upper", "lower", "mixed"]

_TOKEN_RE = re.compile(
    r"(?P<word>[A-Za-z\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)*(?:-[A-Za-z\u00C0-\u024F]{2,})*"
    r"(?:\d+[A-Za-z]*)?)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<punct>[^\sA-Za-z\d])"
)


def tokenize(text: str) -> list[Token]:
    """Split text into words, numbers and single punctuation marks (whitespace dropped).

    Hyphenated words stay whole ("dtr-in-law", "Smith-Jones") unless the parts change case
    ("Rob-who" is "Rob", "-", "who").
    """
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "punct"
        word = match.group()
        if kind == "word" and "-" in word and _mixed_case_parts(word):
            tokens.extend(_split_hyphens(word, match.start()))
        else:
            tokens.append(Token(word, match.start(), match.end(), kind))
    return tokens


def _mixed_case_parts(word: str) -> bool:
    parts = [part for part in word.split("-") if part]
    shapes = {(part[0].isupper(), part.isupper() and len(part) > 1) for part in parts}
    return len(shapes) > 1


def _split_hyphens(word: str, offset: int) -> list[Token]:
    tokens: list[Token] = []
    position = offset
    for index, part in enumerate(word.split("-")):
        if index:
            tokens.append(Token("-", position, position + 1, "punct"))
            position += 1
        if part:
            tokens.append(Token(part, position, position + len(part), "word"))
            position += len(part)
    return tokens


def case_mode(tokens: list[Token]) -> CaseMode:
    """Whether a text is written in capitals, in lower case, or normally."""
    words = [token.text for token in tokens if token.kind == "word" and len(token.text) > 1]
    if not words:
        return "mixed"
    upper = sum(word.isupper() for word in words) / len(words)
    lower = sum(word.islower() for word in words) / len(words)
    title = sum(word[0].isupper() and word[1:].islower() for word in words) / len(words)
    if upper > 0.6:
        return "upper"
    if lower > 0.75 and title < 0.1:
        return "lower"
    return "mixed"


def line_case_modes(text: str, tokens: list[Token]) -> list[CaseMode]:
    """Casing per token, judged on the token's own line (notes mix capitalised and plain lines)."""
    modes: list[CaseMode] = []
    group: list[Token] = []
    line_end = -1
    for token in tokens:
        if token.start > line_end:
            if group:
                modes.extend([case_mode(group)] * len(group))
                group = []
            found = text.find("\n", token.start)
            line_end = found if found >= 0 else len(text)
        group.append(token)
    if group:
        modes.extend([case_mode(group)] * len(group))
    return modes


class PhraseMatcher:
    """Finds configured phrases (one or more words) in a token sequence, ignoring periods."""

    def __init__(self, phrases: list[str]) -> None:
        self._phrases: set[tuple[str, ...]] = set()
        for phrase in phrases:
            key = tuple(t.lower for t in tokenize(phrase) if t.text != ".")
            if key:
                self._phrases.add(key)
        self._longest = max((len(key) for key in self._phrases), default=0)
        self.first = frozenset(key[0] for key in self._phrases)
        self.last = frozenset(key[-1] for key in self._phrases)

    def ending_at(self, lowers: list[str], index: int) -> int:
        """Length of the longest phrase that ends at `index` (0 when none)."""
        if lowers[index] not in self.last:
            return 0
        for size in range(min(self._longest, index + 1), 0, -1):
            if tuple(lowers[index - size + 1 : index + 1]) in self._phrases:
                return size
        return 0

    def starting_at(self, lowers: list[str], index: int) -> int:
        """Length of the longest phrase that starts at `index` (0 when none)."""
        if index >= len(lowers) or lowers[index] not in self.first:
            return 0
        for size in range(min(self._longest, len(lowers) - index), 0, -1):
            if tuple(lowers[index : index + size]) in self._phrases:
                return size
        return 0


class TextView:
    """A text with its tokens (periods dropped), their lower-case forms and per-line casing."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [token for token in tokenize(text) if token.text != "."]
        self.lowers = [token.lower for token in self.tokens]
        self.modes = line_case_modes(text, self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def is_word(self, index: int) -> bool:
        """Whether the token at `index` exists and is a word."""
        return 0 <= index < len(self.tokens) and self.tokens[index].kind == "word"

    def shape_ok(self, index: int) -> bool:
        """Capitalised, or on a line where capitals carry no information."""
        return self.modes[index] != "mixed" or self.tokens[index].text[0].isupper()

    def is_initial(self, index: int) -> bool:
        """A single capital letter followed by a period ("G.")."""
        token = self.tokens[index]
        return (
            len(token.text) == 1
            and token.text.isalpha()
            and (token.text.isupper() or self.modes[index] == "lower")
            and self.text[token.end : token.end + 1] == "."
        )

    def same_line(self, first: int, second: int) -> bool:
        """No line break between two tokens."""
        lo, hi = sorted((first, second))
        return "\n" not in self.text[self.tokens[lo].end : self.tokens[hi].start]

    def gap(self, first: int, second: int) -> str:
        """The characters between two tokens (in text order)."""
        lo, hi = sorted((first, second))
        return self.text[self.tokens[lo].end : self.tokens[hi].start]
