"""Note-drafting quality on ACI-BENCH-style data: ROUGE and clinical-fact overlap.

Dataset: JSON lines with `dialogue` (turns `[doctor] ...` / `[patient] ...`, newline-separated)
and `note` (the reference note). ACI-BENCH (Yim et al., Scientific Data 2023), CC BY 4.0.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scribe.contracts import Draft, NoteDrafter, Segment, SpeakerRole, Transcript
from scribe.drafting.checks import numbers_in_tidy
from scribe.drafting.lexicon import TermMatcher, concept_triples, default_drug_lexicon
from scribe.drafting.rulebook import clinical_lexicon
from scribe.drafting.text import SpokenCleaner

logger = logging.getLogger(__name__)

_TURN = re.compile(r"^\[(?P<tag>[^\]]+)\]\s*(?P<text>.*)$")
_CLINICIAN_TAGS = ("doctor", "clinician", "nurse", "provider", "physician")
FACT_KINDS = ("medications", "conditions", "numbers")


def dialogue_to_transcript(dialogue: str) -> Transcript:
    """One segment per `[speaker] text` turn; untagged lines continue the previous turn.

    `[doctor]` (and other clinician tags) -> clinician; `[patient]`, `[patient_guest]` and any
    other tag -> patient. Segments have no timings (start = end = turn number).
    """
    turns: list[tuple[SpeakerRole, str]] = []
    for line in dialogue.splitlines():
        match = _TURN.match(line.strip())
        if match:
            tag = match.group("tag").lower()
            speaker: SpeakerRole = "clinician" if tag.startswith(_CLINICIAN_TAGS) else "patient"
            turns.append((speaker, match.group("text").strip()))
        elif line.strip() and turns:
            speaker, text = turns[-1]
            turns[-1] = (speaker, f"{text} {line.strip()}")
    segments = tuple(
        Segment(id=index, start=float(index), end=float(index), text=text, speaker=speaker)
        for index, (speaker, text) in enumerate(turns)
        if text
    )
    return Transcript(segments=segments)


def read_records(dataset_path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The records of a JSON-lines dataset, at most `limit`."""
    with Path(dataset_path).open(encoding="utf-8") as handle:
        count = 0
        for line in handle:
            if limit is not None and count >= limit:
                return
            if line.strip():
                count += 1
                yield json.loads(line)


class FactReader:
    """Clinical facts of a note, extracted the same way for generated and reference notes.

    - medications: generic names of drug-lexicon mentions (brands mapped to their generic);
    - conditions: canonical names of clinical-lexicon condition mentions (any polarity);
    - numbers: every number after spoken-number clean-up ("forty" -> 40, "7.20" -> 7.2).
    """

    def __init__(self) -> None:
        self._cleaner = SpokenCleaner()
        self._drugs = default_drug_lexicon()
        self._conditions = TermMatcher(concept_triples(clinical_lexicon().conditions, "condition"))

    def facts(self, text: str) -> dict[str, set[str]]:
        """{kind: set of facts} for one note."""
        tidy = self._cleaner.tidy(text)
        return {
            "medications": self._drugs.generics(tidy),
            "conditions": self._conditions.names(tidy),
            "numbers": set(numbers_in_tidy(tidy)),
        }


def evaluate_notes(
    dataset_path: Path, drafter: NoteDrafter, *, limit: int | None = None
) -> dict[str, Any]:
    """Draft every dialogue of the dataset and score the drafts against the reference notes.

    ROUGE-1/2/L/Lsum: F1 x 100 from `rouge-score` with stemming, mean over notes (the draft's
    `as_text()` with section headings vs the reference note). Clinical facts: for each kind in
    `FactReader` the sets of the draft and the reference are compared per note and summed over
    notes (micro-average): recall = sum |draft & ref| / sum |ref|, precision = sum |draft & ref|
    / sum |draft|. Also reports the fraction of draft sentences marked unsupported.
    """
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    reader = FactReader()
    rouge: dict[str, list[float]] = {key: [] for key in ("rouge1", "rouge2", "rougeL", "rougeLsum")}
    overlap = {kind: [0, 0, 0] for kind in FACT_KINDS}  # matched, reference, draft
    sentences = unsupported = 0
    started = time.perf_counter()
    count = 0
    for record in read_records(dataset_path, limit):
        draft = drafter.draft(dialogue_to_transcript(record["dialogue"]))
        text = draft.as_text()
        scores = scorer.score(record["note"], text)
        for key, values in rouge.items():
            values.append(scores[key].fmeasure * 100)
        _add_overlap(overlap, reader.facts(text), reader.facts(record["note"]))
        sentences += len(draft.sentences())
        unsupported += _unsupported(draft)
        count += 1
        logger.info("evaluated note %d (%s)", count, record.get("encounter_id", "?"))
    seconds = time.perf_counter() - started
    return {
        "drafter": drafter.name,
        "dataset": str(dataset_path),
        "count": count,
        "seconds": round(seconds, 2),
        "seconds_per_note": round(seconds / count, 3) if count else None,
        "rouge": {key: _mean(values) for key, values in rouge.items()},
        "facts": {kind: _ratios(*overlap[kind]) for kind in FACT_KINDS},
        "sentences": sentences,
        "unsupported_fraction": round(unsupported / sentences, 4) if sentences else None,
    }


def _add_overlap(
    overlap: dict[str, list[int]], draft: dict[str, set[str]], reference: dict[str, set[str]]
) -> None:
    for kind in FACT_KINDS:
        overlap[kind][0] += len(draft[kind] & reference[kind])
        overlap[kind][1] += len(reference[kind])
        overlap[kind][2] += len(draft[kind])


def _ratios(matched: int, reference: int, drafted: int) -> dict[str, float | int | None]:
    return {
        "recall": round(matched / reference, 4) if reference else None,
        "precision": round(matched / drafted, 4) if drafted else None,
        "matched": matched,
        "reference": reference,
        "draft": drafted,
    }


def _unsupported(draft: Draft) -> int:
    return sum(1 for sentence in draft.sentences() if sentence.status == "unsupported")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None
