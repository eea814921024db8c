"""Speaker-role accuracy on ACI-BENCH-style dialogues (`[doctor] ...` / `[patient] ...` lines).

Every tag other than `doctor` (`patient`, `patient_guest`, ...) counts as the patient side: the
service only tells the clinician from everyone else in the room. Labels are hidden, the turn
texts go through `assign_roles`, and accuracy is reported per turn and weighted by words, overall
and per role, with the alternation prior for dialogue turns and without it (lexical cues alone).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scribe.contracts import SpeakerRole
from scribe.transcription.speakers import SpeakerCues, assign_roles, load_speaker_cues

__all__ = ["evaluate_dialogues", "evaluate_speaker_roles", "split_dialogue"]

_TURN = re.compile(r"^\s*\[([A-Za-z_]+)\]\s*(.*)$")


def split_dialogue(dialogue: str) -> list[tuple[SpeakerRole, str]]:
    """(role, text) per `[tag] text` line; `doctor` is the clinician, any other tag the patient."""
    turns: list[tuple[SpeakerRole, str]] = []
    for line in dialogue.splitlines():
        match = _TURN.match(line)
        if match and match.group(2).strip():
            role: SpeakerRole = "clinician" if match.group(1).lower() == "doctor" else "patient"
            turns.append((role, match.group(2).strip()))
    return turns


def evaluate_speaker_roles(
    dataset_path: Path, *, cues: SpeakerCues | None = None
) -> dict[str, Any]:
    """Accuracy of speaker roles on a JSONL file whose records carry a `dialogue` field."""
    with dataset_path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    result = evaluate_dialogues([record["dialogue"] for record in records], cues=cues)
    result["dataset"] = dataset_path.name
    ids = [str(record.get("encounter_id", index)) for index, record in enumerate(records)]
    result["per_dialogue"] = dict(zip(ids, result.pop("per_dialogue"), strict=True))
    # A dialogue almost entirely "wrong" is more likely a dataset whose tags are swapped.
    result["suspected_label_swaps"] = [
        key
        for key, accuracy in result["per_dialogue"].items()
        if accuracy is not None and accuracy < 0.2
    ]
    return result


def evaluate_dialogues(
    dialogues: Iterable[str], *, cues: SpeakerCues | None = None
) -> dict[str, Any]:
    """Accuracy of speaker roles on dialogue texts (see `evaluate_speaker_roles`)."""
    cues = cues or load_speaker_cues()
    split = [split_dialogue(text) for text in dialogues]
    smoothed: list[tuple[SpeakerRole, SpeakerRole, int]] = []
    lexical: list[tuple[SpeakerRole, SpeakerRole, int]] = []
    per_dialogue: list[float | None] = []
    for turns in split:
        texts = [text for _, text in turns]
        truth = [role for role, _ in turns]
        words = [len(text.split()) for text in texts]
        with_prior = assign_roles(texts, cues=cues, switch_probability=cues.turn_switch_probability)
        alone = assign_roles(texts, cues=cues, switch_probability=0.5)
        per_dialogue.append(
            _scores(list(zip(truth, with_prior, words, strict=True)))["turn_accuracy"]
        )
        smoothed.extend(zip(truth, with_prior, words, strict=True))
        lexical.extend(zip(truth, alone, words, strict=True))
    return {
        "cues_version": cues.version,
        "dialogues": len(split),
        "note": "tags other than [doctor] (patient, patient_guest, ...) count as patient",
        "switch_probability": cues.turn_switch_probability,
        "with_turn_alternation": _accuracy(smoothed),
        "lexical_only": _accuracy(lexical),
        "per_dialogue": per_dialogue,
    }


def _accuracy(rows: Sequence[tuple[SpeakerRole, SpeakerRole, int]]) -> dict[str, Any]:
    """Turn-level and word-weighted accuracy, overall and per true role."""
    result: dict[str, Any] = _scores(rows)
    result["per_role"] = {
        role: _scores([row for row in rows if row[0] == role]) for role in ("clinician", "patient")
    }
    return result


def _scores(rows: Sequence[tuple[SpeakerRole, SpeakerRole, int]]) -> dict[str, Any]:
    turns = len(rows)
    words = sum(count for _, _, count in rows)
    right_turns = sum(1 for truth, guess, _ in rows if truth == guess)
    right_words = sum(count for truth, guess, count in rows if truth == guess)
    return {
        "turns": turns,
        "words": words,
        "turn_accuracy": round(right_turns / turns, 4) if turns else None,
        "word_accuracy": round(right_words / words, 4) if words else None,
    }
