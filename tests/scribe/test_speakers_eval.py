"""Speaker-role evaluation on small ACI-BENCH-style dialogues written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.evaluation.speakers import evaluate_dialogues, evaluate_speaker_roles, split_dialogue

FOLLOW_UP = "\n".join(
    [
        "[doctor] hi , how are you doing today ?",
        "[patient] not bad . my knees have been aching when i climb the stairs .",
        "[doctor] okay . any swelling or redness in your knees ?",
        "[patient] no , just the pain .",
        "[doctor] let's get an x-ray and i'd like you to try some physical therapy .",
        "[patient] sure , that sounds fine .",
    ]
)
WITH_GUEST = "\n".join(
    [
        "[doctor] what brings you in today ?",
        "[patient] i've had a cough for about two weeks .",
        "[patient_guest] she keeps me up at night with it , honestly .",
        "[doctor] any fever ? and are you taking anything for it ?",
        "[patient] no fever . i tried some cough syrup .",
    ]
)
SWAPPED = (
    FOLLOW_UP.replace("[doctor]", "[tmp]")
    .replace("[patient]", "[doctor]")
    .replace("[tmp]", "[patient]")
)


def _write_jsonl(path: Path, dialogues: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for encounter_id, dialogue in dialogues.items():
            handle.write(json.dumps({"encounter_id": encounter_id, "dialogue": dialogue}) + "\n")
    return path


def test_split_dialogue_maps_non_doctor_tags_to_patient() -> None:
    turns = split_dialogue(WITH_GUEST + "\n\n[doctor]   \nnot a turn")
    assert [role for role, _ in turns] == [
        "clinician",
        "patient",
        "patient",
        "clinician",
        "patient",
    ]
    assert turns[2][1] == "she keeps me up at night with it , honestly ."


def test_evaluation_counts_turns_words_and_roles(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "dev.jsonl", {"A1": FOLLOW_UP, "A2": WITH_GUEST})

    result = evaluate_speaker_roles(path)

    assert result["dialogues"] == 2
    smoothed = result["with_turn_alternation"]
    assert smoothed["turns"] == 11
    assert smoothed["words"] == sum(
        len(text.split()) for d in (FOLLOW_UP, WITH_GUEST) for _, text in split_dialogue(d)
    )
    assert smoothed["per_role"]["clinician"]["turns"] == 5
    assert smoothed["per_role"]["patient"]["turns"] == 6
    assert result["per_dialogue"]["A1"] == 1.0
    for block in (smoothed, result["lexical_only"]):
        assert 0.0 <= block["turn_accuracy"] <= 1.0
        assert 0.0 <= block["word_accuracy"] <= 1.0
    assert smoothed["turn_accuracy"] >= 0.9
    assert result["suspected_label_swaps"] == []


def test_swapped_labels_score_zero_and_are_flagged(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "dev.jsonl", {"OK": FOLLOW_UP, "BAD": SWAPPED})
    result = evaluate_speaker_roles(path)
    assert result["per_dialogue"]["BAD"] == 0.0
    assert result["suspected_label_swaps"] == ["BAD"]
    assert result["with_turn_alternation"]["turn_accuracy"] == pytest.approx(0.5)


def test_empty_input_gives_no_scores() -> None:
    result = evaluate_dialogues([])
    assert result["dialogues"] == 0
    assert result["with_turn_alternation"]["turn_accuracy"] is None
