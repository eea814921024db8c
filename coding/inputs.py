"""Turn a file's text into the engine's input (for `scribe suggest FILE`).

Accepted: Transcript JSON (`{"segments": [...]}`), Draft JSON (`{"sections": [...]}`), a visit
JSON (`{"note": ..., "transcript": ...}`), a dialogue in plain text (lines starting `[doctor]`,
`[patient]`, `Doctor:`, `Patient:` ...; read as a transcript), or any other plain text (a note).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coding.contracts import EngineInput
from coding.errors import CodingInputError
from coding.rulebook import load_rules
from scribe.contracts import Draft, Segment, SpeakerRole, Transcript

SPEAKER = re.compile(
    r"^\s*(?:\[(?P<tag>[a-z ]+)\]|(?P<label>doctor|dr\.?|patient|pt|clinician|provider|physician"
    r"|nurse|np|pa)\s*:)\s*(?P<text>.*)$",
    re.IGNORECASE,
)
CLINICIAN_WORDS = {"doctor", "dr", "dr.", "clinician", "provider", "physician", "nurse", "np", "pa"}
PATIENT_WORDS = {"patient", "pt"}
DIALOGUE_SHARE = 0.6
JSON_OVERHEAD = 4


def read_engine_input(text: str) -> EngineInput:
    """Detect what a file holds and return the note and/or transcript in it."""
    if not isinstance(text, str) or not text.strip():
        raise CodingInputError("the input is empty")
    limit = load_rules().policy.max_text_chars
    stripped = text.strip()
    if _looks_like_json(stripped):
        if len(text) > limit * JSON_OVERHEAD:
            raise CodingInputError(f"the JSON input has {len(text):,} characters; too large")
        return _from_json(stripped)
    if len(text) > limit:
        raise CodingInputError(f"the text has {len(text):,} characters; the limit is {limit:,}")
    dialogue = parse_dialogue(text)
    if dialogue is not None:
        return EngineInput(transcript=dialogue)
    return EngineInput(note=text)


def _looks_like_json(text: str) -> bool:
    """'{...' is JSON; '[...' is JSON unless it starts like a speaker tag ('[doctor] ...')."""
    if text.startswith("{"):
        return True
    return text.startswith("[") and re.match(r"\[\s*[\[{\]\"]", text) is not None


def load_input_file(path: Path) -> EngineInput:
    """Read a UTF-8 file and detect its content (see `read_engine_input`)."""
    try:
        text = Path(path).read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise CodingInputError(f"{path} is not UTF-8 text") from exc
    except OSError as exc:
        raise CodingInputError(f"cannot read {path}: {exc.strerror}") from exc
    return read_engine_input(text)


def _from_json(text: str) -> EngineInput:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodingInputError(f"the input looks like JSON but does not parse: {exc}") from exc
    if isinstance(data, list):
        data = {"segments": data}
    if not isinstance(data, dict):
        raise CodingInputError("JSON input must be an object (Transcript, Draft or visit)")
    try:
        return _shape(data)
    except ValidationError as exc:
        raise CodingInputError(
            f"JSON input does not match its shape: {exc.errors()[0]['msg']} "
            f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}"
        ) from exc


def _shape(data: dict[str, Any]) -> EngineInput:
    if "segments" in data:
        return EngineInput(transcript=Transcript.model_validate(data))
    if "sections" in data:
        return EngineInput(note=Draft.model_validate(data))
    if "note" in data or "transcript" in data:
        unknown = set(data) - {"note", "transcript"}
        if unknown:
            raise CodingInputError(f"visit JSON has unknown keys {sorted(unknown)}")
        note = data.get("note")
        if isinstance(note, dict):
            note = Draft.model_validate(note)
        transcript = data.get("transcript")
        if isinstance(transcript, str):
            transcript = parse_dialogue(transcript) or _one_segment(transcript)
        elif transcript is not None:
            transcript = Transcript.model_validate(transcript)
        return EngineInput(note=note, transcript=transcript)
    raise CodingInputError(
        "JSON input is neither a Transcript (segments), a Draft (sections) nor a visit "
        "(note/transcript)"
    )


def _one_segment(text: str) -> Transcript:
    return Transcript(segments=(Segment(id=0, start=0.0, end=0.0, text=text),))


def _speaker(word: str) -> SpeakerRole:
    word = word.strip().lower()
    if word in CLINICIAN_WORDS:
        return "clinician"
    return "patient" if word in PATIENT_WORDS else "unknown"


def parse_dialogue(text: str) -> Transcript | None:
    """A transcript from speaker-labelled plain text, or None when the text is not a dialogue."""
    lines = [line for line in text.splitlines() if line.strip()]
    labelled = [SPEAKER.match(line) for line in lines]
    if len(lines) < 2 or sum(1 for m in labelled if m) < DIALOGUE_SHARE * len(lines):
        return None
    segments: list[Segment] = []
    for line, match in zip(lines, labelled, strict=True):
        if match is None and segments:
            last = segments[-1]
            segments[-1] = last.model_copy(update={"text": f"{last.text} {line.strip()}"})
            continue
        speaker = _speaker(match.group("tag") or match.group("label") if match else "")
        body = match.group("text") if match else line.strip()
        index = len(segments)
        segments.append(
            Segment(id=index, start=float(index), end=float(index + 1), text=body, speaker=speaker)
        )
    return Transcript(segments=tuple(segments))
