"""Prompt templates for the LLM drafters, and parsing of the model's note into SOAP sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pydantic import Field

from scribe.contracts import SECTION_TITLES, Transcript
from scribe.drafting.rulebook import RulesError, RulesFile, load_rules_file
from scribe.drafting.text import sentence_spans

PROMPTS_PACKAGE = "scribe.drafting.prompts"
_SECTION_LINE = re.compile(r"^\[(?P<name>[a-z_]+)\]\s*$")
_MARKDOWN = re.compile(r"^[\s>#*_`\-•·]+|[*_`#]+$|\*\*|__")
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[a-z][.)])\s+", re.IGNORECASE)
_HEADING_LINE = re.compile(r"^(?P<heading>[A-Za-z][A-Za-z /&()'-]{0,48}?)\s*:\s*(?P<rest>.*)$")
_SPEAKERS = {"clinician": "Clinician", "patient": "Patient", "unknown": "Speaker"}


@dataclass(frozen=True)
class PromptTemplate:
    """A versioned system prompt and user template."""

    name: str
    version: str
    system: str
    user: str

    def messages(self, transcript_text: str) -> list[dict[str, str]]:
        """Chat messages for one transcript."""
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user.replace("{transcript}", transcript_text)},
        ]


def parse_prompt(name: str, text: str) -> PromptTemplate:
    """Parse a prompt file; unknown sections or meta keys are rejected."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _SECTION_LINE.match(line)
        if match:
            current = match.group("name")
            if current not in {"meta", "system", "user"} or current in sections:
                raise RulesError(f"prompt {name!r}: unexpected section [{current}]")
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip() and not line.startswith("#"):
            raise RulesError(f"prompt {name!r}: text before the first section")
    meta = _meta(name, sections.get("meta", []))
    system = "\n".join(sections.get("system", [])).strip()
    user = "\n".join(sections.get("user", [])).strip()
    if not system or "{transcript}" not in user:
        raise RulesError(f"prompt {name!r} needs [system] and a [user] with {{transcript}}")
    return PromptTemplate(name=name, version=meta["version"], system=system, user=user)


def _meta(name: str, lines: list[str]) -> dict[str, str]:
    meta = {}
    for line in filter(str.strip, lines):
        key, _, value = line.partition(":")
        if key.strip() != "version" or not value.strip():
            raise RulesError(f"prompt {name!r}: unknown or empty meta line {line!r}")
        meta["version"] = value.strip()
    if "version" not in meta:
        raise RulesError(f"prompt {name!r} has no version")
    return meta


@lru_cache(maxsize=4)
def load_prompt(name: str = "soap_note") -> PromptTemplate:
    """A prompt file of the package by name (validated, loaded once)."""
    text = resources.files(PROMPTS_PACKAGE).joinpath(f"{name}.txt").read_text("utf-8")
    return parse_prompt(name, text)


def render_transcript(transcript: Transcript) -> str:
    """The transcript as 'Clinician: ...' / 'Patient: ...' lines for a prompt."""
    return "\n".join(
        f"{_SPEAKERS.get(segment.speaker, 'Speaker')}: {segment.text.strip()}"
        for segment in transcript.segments
        if segment.text.strip()
    )


class NoteHeadings(RulesFile):
    """Heading aliases (rules/note_headings.json)."""

    headings: dict[str, list[str]]
    keywords: list[tuple[str, str]]
    default_section: str = Field(min_length=1)

    def model_post_init(self, __context: object) -> None:
        """Every key named must be a SOAP section."""
        named = {*self.headings, *(key for _, key in self.keywords), self.default_section}
        unknown = named - set(SECTION_TITLES)
        if unknown:
            raise ValueError(f"unknown section keys {sorted(unknown)}")


@lru_cache(maxsize=1)
def note_headings() -> NoteHeadings:
    """The validated heading aliases (loaded once)."""
    return load_rules_file("note_headings.json", NoteHeadings)


class NoteParser:
    """Splits an LLM's note into SOAP sections of sentences, tolerating a small model's mess."""

    def __init__(self, headings: NoteHeadings | None = None) -> None:
        self._rules = headings or note_headings()
        self._aliases = {
            _normalise(alias): key
            for key, aliases in self._rules.headings.items()
            for alias in aliases
        }

    def parse(self, text: str) -> dict[str, list[str]]:
        """{section key: sentences}; text before any heading goes to the default section."""
        sections: dict[str, list[str]] = {key: [] for key in SECTION_TITLES}
        current = self._rules.default_section
        seen: set[str] = set()
        for raw in text.splitlines():
            line = _NUMBERING.sub("", _MARKDOWN.sub("", raw.strip())).strip()
            if not line:
                continue
            heading, line = self._heading(line)
            if heading is not None:
                current = heading
            for start, end in sentence_spans(line):
                sentence = line[start:end].strip(" -*•")
                if re.search(r"[A-Za-z]{2}", sentence) and sentence.lower() not in seen:
                    seen.add(sentence.lower())
                    sections[current].append(sentence)
        return sections

    def _heading(self, line: str) -> tuple[str | None, str]:
        """(section key, rest of the line) when the line starts with a heading."""
        whole = _normalise(line)
        if whole in self._aliases:
            return self._aliases[whole], ""
        match = _HEADING_LINE.match(line)
        if match:
            key = self._section_for(match.group("heading"))
            if key is not None:
                return key, match.group("rest")
            if _looks_like_heading(match.group("heading")):
                return None, match.group("rest")  # unknown heading: its text stays where it is
        if line.isupper() and len(line.split()) <= 6:
            return self._section_for(line) or self._rules.default_section, ""
        return None, line

    def _section_for(self, heading: str) -> str | None:
        name = _normalise(heading)
        if name in self._aliases:
            return self._aliases[name]
        for keyword, key in self._rules.keywords:
            if keyword in name:
                return key
        return None


def _looks_like_heading(text: str) -> bool:
    """Title Case or upper case, at most four words ("Weird Heading", "DATA")."""
    words = text.split()
    return len(words) <= 4 and all(word[:1].isupper() for word in words if word.isalpha())


def _normalise(heading: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z/& ]", " ", heading.lower())).strip()
