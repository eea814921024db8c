"""Evaluation of PHI detection against gold spans (PhysioNet deid JSONL format).

How spans are counted (span level, micro-averaged, overlap is a hit):

- Each JSONL line has ``text`` and ``phi`` (a list of ``{start, end, type}``, end exclusive).
- Gold types are mapped to groups with `DATASET_TYPE_GROUPS` (HCPName, PTName, RelativeProxyName
  and PTNameInitial -> name; Date -> date; Location -> location; Phone -> phone; Age -> age;
  Other -> id) and the project's own entity types to their group in ``deid.yaml``.
  ``DateYear`` (a year alone) maps to ``year``, and so does a ``Date`` span whose text is only a
  year ("1977", "'79", "09"): Safe Harbor lets a year stay, so year-only spans are left out of
  ``overall`` and reported separately (``overall_with_year`` counts them).
- Recall: a gold span is found when at least one predicted span overlaps it by one character or
  more, whatever the predicted type (what matters for de-identification is that the characters
  are removed). ``typed_recall`` additionally requires the predicted group to equal the gold one.
- Precision: a predicted span is correct when it overlaps at least one gold span of any type
  (year-only gold spans included, since they are PHI in the dataset). Per-type precision is
  grouped by the predicted type.
- Per type, recall is reported per gold type and per group; precision per predicted entity.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scribe.deid.spans import PhiSpan

DATASET_TYPE_GROUPS: dict[str, str] = {
    "HCPName": "name",
    "PTName": "name",
    "RelativeProxyName": "name",
    "PTNameInitial": "name",
    "Date": "date",
    "DateYear": "year",
    "Location": "location",
    "Phone": "phone",
    "Age": "age",
    "Other": "id",
}
EXCLUDED_GROUPS = frozenset({"year"})
_YEAR_ONLY = re.compile(r"^(?:1[89]\d\d|20\d\d|\d\d)'?s?$", re.IGNORECASE)


class SpanDetector(Protocol):
    """Anything that returns PHI spans for texts (PresidioDeidentifier does)."""

    def analyze_many(self, texts: list[str], *, batch_size: int = 16) -> list[list[PhiSpan]]:
        """Spans for each text."""
        ...


@dataclass(frozen=True)
class GoldSpan:
    """One annotated identifier."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Record:
    """One document of an evaluation set."""

    text: str
    gold: tuple[GoldSpan, ...]


def read_dataset(path: Path) -> list[Record]:
    """Read a JSONL evaluation set (each line: text and phi[{start, end, type}])."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                gold = tuple(
                    GoldSpan(int(p["start"]), int(p["end"]), str(p["type"]))
                    for p in row.get("phi", [])
                )
                records.append(Record(str(row["text"]), gold))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not an evaluation record ({exc})") from exc
    return records


class _Tally:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()

    def add(self, key: str, hit: bool) -> None:
        self.totals[key] += 1
        self.hits[key] += int(hit)

    def ratios(self) -> dict[str, dict[str, float | int]]:
        return {key: _ratio(self.hits[key], self.totals[key]) for key in sorted(self.totals)}


def _ratio(hits: int, total: int) -> dict[str, float | int]:
    return {"value": round(hits / total, 4) if total else 1.0, "hits": hits, "total": total}


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score_records(
    records: Iterable[Record], predictions: Iterable[list[PhiSpan]], entity_groups: dict[str, str]
) -> dict[str, Any]:
    """Recall and precision of `predictions` against `records` (see the module docstring)."""
    groups = {**DATASET_TYPE_GROUPS, **entity_groups}
    recall, typed, recall_group, precision = _Tally(), _Tally(), _Tally(), _Tally()
    for record, spans in zip(records, predictions, strict=True):
        for gold in record.gold:
            group = groups.get(gold.type, gold.type)
            if group == "date" and _YEAR_ONLY.match(record.text[gold.start : gold.end].strip()):
                group = "year"
            hits = [s for s in spans if _overlaps(gold.start, gold.end, s.start, s.end)]
            same = any(entity_groups.get(s.entity) == group for s in hits)
            overall_key = "excluded" if group in EXCLUDED_GROUPS else "overall"
            for tally, hit in ((recall, bool(hits)), (typed, same)):
                tally.add(overall_key, hit)
                tally.add("overall_with_year", hit)
            recall.add(gold.type, bool(hits))
            recall_group.add(group, bool(hits))
        for span in spans:
            hit = any(_overlaps(g.start, g.end, span.start, span.end) for g in record.gold)
            precision.add("overall", hit)
            precision.add(span.entity, hit)
    return {
        "recall": recall.ratios(),
        "typed_recall": typed.ratios(),
        "recall_by_group": recall_group.ratios(),
        "precision": precision.ratios(),
    }


def _batched(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def evaluate_deid(
    dataset_path: Path | str, *, deidentifier: SpanDetector | None = None, batch_size: int = 32
) -> dict[str, Any]:
    """Recall and precision, overall and per type, of the de-identifier on a JSONL dataset.

    Without `deidentifier`, the configured one is built (bundled en_core_web_sm by default).
    """
    from scribe.deid.factory import build_deidentifier

    detector = deidentifier or build_deidentifier()
    records = read_dataset(Path(dataset_path))
    texts = [record.text for record in records]
    started = time.perf_counter()
    predictions: list[list[PhiSpan]] = []
    for batch in _batched(texts, batch_size):
        predictions.extend(detector.analyze_many(batch, batch_size=batch_size))
    seconds = time.perf_counter() - started
    config = getattr(detector, "config", None)
    entity_groups = (
        {name: spec.group for name, spec in config.engine.entities.items()} if config else {}
    )
    report = score_records(records, predictions, entity_groups)
    report["dataset"] = {
        "path": str(dataset_path),
        "documents": len(records),
        "gold_spans": sum(len(r.gold) for r in records),
    }
    report["seconds"] = round(seconds, 2)
    provenance = getattr(detector, "provenance", None)
    if provenance is not None:
        report["provenance"] = provenance.model_dump()
    return report
