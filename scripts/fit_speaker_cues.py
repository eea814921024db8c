"""Fit the weights of scribe/transcription/data/speaker_cues.json on ACI-BENCH train.

The cue patterns are written by hand; this script only fits their weights (L2-regularised
logistic regression, Newton steps), the bias, the length weight, the turn-switch prior and the
first-speaker prior, and writes them back into the data file. Fit on train only; report valid.

Usage: python scripts/fit_speaker_cues.py [/work/shared/data/aci-bench/train.jsonl]
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np

from scribe.evaluation.speakers import split_dialogue
from scribe.transcription.speakers import cue_features, parse_speaker_cues

DEFAULT_TRAIN = Path("/work/shared/data/aci-bench/train.jsonl")
L2 = 1.0


def _fit(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    design = np.hstack([np.ones((features.shape[0], 1)), features])
    weights = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * L2
    penalty[0, 0] = 0.0
    for _ in range(50):
        probs = 1.0 / (1.0 + np.exp(-design @ weights))
        gradient = design.T @ (probs - labels) + penalty @ weights
        hessian = (design * (probs * (1 - probs))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def main() -> None:
    """Fit on the train file and rewrite the cue data file in place."""
    train = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TRAIN
    target = Path(str(resources.files("scribe.transcription").joinpath("data/speaker_cues.json")))
    raw = json.loads(target.read_text(encoding="utf-8"))
    cues = parse_speaker_cues(json.dumps(raw))
    rows, labels, switches, pairs, first_clinician, dialogues = [], [], 0, 0, 0, 0
    for line in train.read_text(encoding="utf-8").splitlines():
        turns = split_dialogue(json.loads(line)["dialogue"])
        if not turns:
            continue
        dialogues += 1
        first_clinician += turns[0][0] == "clinician"
        for index, (role, text) in enumerate(turns):
            rows.append(cue_features(text, cues))
            labels.append(1.0 if role == "clinician" else 0.0)
            if index:
                pairs += 1
                switches += role != turns[index - 1][0]
    weights = _fit(np.array(rows), np.array(labels))
    raw["bias"] = round(float(weights[0]), 3)
    for cue, weight in zip(raw["cues"], weights[1:-1], strict=True):
        cue["weight"] = round(float(weight), 3)
    raw["length_weight"] = round(float(weights[-1]), 3)
    raw["turn_switch_probability"] = round((switches + 1) / (pairs + 2), 3)
    raw["first_speaker_clinician"] = round((first_clinician + 1) / (dialogues + 2), 3)
    raw["fitted_on"] = (
        f"ACI-BENCH train ({dialogues} dialogues, {len(rows)} turns; Yim et al. 2023, CC BY 4.0)"
    )
    target.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(f"fitted {len(raw['cues'])} cues on {len(rows)} turns -> {target}\n")


if __name__ == "__main__":
    main()
