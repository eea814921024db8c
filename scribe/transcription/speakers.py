"""Speaker roles (clinician or patient) for transcript segments, from what is said.

Each segment gets a lexical score: weighted cues from `data/speaker_cues.json` (questions,
instructions, "your", exam and plan words for the clinician; "I", "my", yes/no answers and
symptom reports for the patient) plus a length term, a logistic model whose weights
`scripts/fit_speaker_cues.py` fits on ACI-BENCH train. A two-state Viterbi pass then smooths the
sequence with a prior that the speaker changes between segments (high for dialogue turns, lower
for ASR segments, where one speaker often says several sentences).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scribe.contracts import Segment, SpeakerRole
from scribe.transcription.voice import segment_pitches, two_voice_split

__all__ = [
    "SpeakerCues",
    "cue_features",
    "SpeakerCuesError",
    "assign_roles",
    "label_segments",
    "load_speaker_cues",
    "parse_speaker_cues",
    "turn_scores",
]

_ROLES: tuple[SpeakerRole, SpeakerRole] = ("clinician", "patient")
_FLOOR = 1e-6


class SpeakerCuesError(ValueError):
    """The speaker cue data file is malformed or fails validation."""


class _CueEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    pattern: str = Field(min_length=1)
    weight: float


class _CueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    fitted_on: str
    bias: float
    length_weight: float
    first_speaker_clinician: float = Field(gt=0, lt=1)
    turn_switch_probability: float = Field(gt=0, lt=1)
    segment_switch_probability: float = Field(gt=0, lt=1)
    voice_weight: float = Field(ge=0)
    cues: tuple[_CueEntry, ...] = Field(min_length=1)


@dataclass(frozen=True)
class SpeakerCues:
    """Validated cue weights (positive favours the clinician) and the smoothing priors."""

    version: str
    bias: float
    length_weight: float
    first_speaker_clinician: float
    turn_switch_probability: float
    segment_switch_probability: float
    voice_weight: float
    cues: tuple[tuple[str, re.Pattern[str], float], ...]


def parse_speaker_cues(raw: str | bytes) -> SpeakerCues:
    """Validate cue JSON text (patterns must compile); raises SpeakerCuesError."""
    try:
        parsed = _CueFile.model_validate(json.loads(raw))
        compiled = tuple(
            (cue.name, re.compile(cue.pattern, re.IGNORECASE), cue.weight) for cue in parsed.cues
        )
    except (json.JSONDecodeError, ValidationError, re.error) as error:
        raise SpeakerCuesError(f"invalid speaker cues: {error}") from error
    return SpeakerCues(
        version=parsed.version,
        bias=parsed.bias,
        length_weight=parsed.length_weight,
        first_speaker_clinician=parsed.first_speaker_clinician,
        turn_switch_probability=parsed.turn_switch_probability,
        segment_switch_probability=parsed.segment_switch_probability,
        voice_weight=parsed.voice_weight,
        cues=compiled,
    )


def load_speaker_cues(name: str = "speaker_cues.json") -> SpeakerCues:
    """Load and validate a cue file shipped in `scribe/transcription/data/`."""
    resource = resources.files("scribe.transcription").joinpath("data", name)
    try:
        raw = resource.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SpeakerCuesError(f"speaker cue file {name!r} is not in the package") from error
    return parse_speaker_cues(raw)


def cue_features(text: str, cues: SpeakerCues) -> list[float]:
    """Presence (0/1) of each cue in `text`, then log(1 + word count)."""
    features = [1.0 if pattern.search(text) else 0.0 for _, pattern, _ in cues.cues]
    features.append(math.log1p(len(text.split())))
    return features


def turn_scores(texts: Sequence[str], cues: SpeakerCues) -> list[float]:
    """Log-odds that each text was said by the clinician rather than the patient."""
    weights = [weight for _, _, weight in cues.cues] + [cues.length_weight]
    return [
        cues.bias + sum(w * f for w, f in zip(weights, cue_features(text, cues), strict=True))
        for text in texts
    ]


def assign_roles(
    texts: Sequence[str],
    *,
    cues: SpeakerCues,
    switch_probability: float,
    voices: Sequence[int | None] | None = None,
) -> list[SpeakerRole]:
    """Most likely role sequence for consecutive `texts` (Viterbi over two states).

    `switch_probability` is the prior that the speaker changes from one text to the next;
    0.5 makes every text count alone. `voices` (0/1/None per text, from `two_voice_split`)
    adds `cues.voice_weight` towards the role that the words give each voice as a whole.
    """
    if not texts:
        return []
    scores = turn_scores(texts, cues)
    if voices is not None:
        scores = _with_voices(scores, voices, cues.voice_weight)
    return [_ROLES[state] for state in _viterbi(scores, switch_probability, cues)]


def label_segments(
    segments: Sequence[Segment],
    *,
    cues: SpeakerCues,
    switch_probability: float | None = None,
    audio: np.ndarray | None = None,
) -> tuple[Segment, ...]:
    """Copies of `segments` with `speaker` set; the ASR-segment switch prior by default.

    With `audio` (16 kHz samples of the whole recording) a pitch-based two-voice split is
    added where the two voices are clearly apart.
    """
    prior = cues.segment_switch_probability if switch_probability is None else switch_probability
    voices = None
    if audio is not None and segments:
        pitches = segment_pitches(audio, [(segment.start, segment.end) for segment in segments])
        voices = two_voice_split(pitches)
    roles = assign_roles(
        [segment.text for segment in segments],
        cues=cues,
        switch_probability=prior,
        voices=voices,
    )
    return tuple(
        segment.model_copy(update={"speaker": role})
        for segment, role in zip(segments, roles, strict=True)
    )


def _with_voices(scores: list[float], voices: Sequence[int | None], weight: float) -> list[float]:
    """Push each text towards the role its voice has over the whole recording."""
    totals = {0: [0.0, 0], 1: [0.0, 0]}
    for score, voice in zip(scores, voices, strict=True):
        if voice is not None:
            totals[voice][0] += score
            totals[voice][1] += 1
    if not totals[0][1] or not totals[1][1]:
        return scores
    means = {voice: total / count for voice, (total, count) in totals.items()}
    clinician_voice = 0 if means[0] > means[1] else 1
    return [
        score if voice is None else score + (weight if voice == clinician_voice else -weight)
        for score, voice in zip(scores, voices, strict=True)
    ]


def _viterbi(scores: list[float], switch_probability: float, cues: SpeakerCues) -> list[int]:
    """State path (0 clinician, 1 patient) maximising emissions plus the switch prior."""
    emissions = [_log_emissions(score) for score in scores]
    stay = math.log(max(1.0 - switch_probability, _FLOOR))
    switch = math.log(max(switch_probability, _FLOOR))
    first = (math.log(cues.first_speaker_clinician), math.log(1 - cues.first_speaker_clinician))
    best = [first[s] + emissions[0][s] for s in (0, 1)]
    back: list[tuple[int, int]] = []
    for emission in emissions[1:]:
        step = []
        new_best = []
        for state in (0, 1):
            from_same = best[state] + stay
            from_other = best[1 - state] + switch
            step.append(state if from_same >= from_other else 1 - state)
            new_best.append(max(from_same, from_other) + emission[state])
        back.append((step[0], step[1]))
        best = new_best
    state = 0 if best[0] >= best[1] else 1
    path = [state]
    for pointers in reversed(back):
        state = pointers[state]
        path.append(state)
    return path[::-1]


def _log_emissions(score: float) -> tuple[float, float]:
    """(log P(clinician), log P(patient)) from a log-odds score, numerically safe."""
    clinician = 1.0 / (1.0 + math.exp(-max(min(score, 30.0), -30.0)))
    return (math.log(max(clinician, _FLOOR)), math.log(max(1.0 - clinician, _FLOOR)))
