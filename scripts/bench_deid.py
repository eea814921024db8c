"""Throughput and memory of the de-identifier on one CPU core; prints JSON.

Notes of about 400 words are built by joining consecutive notes of the PhysioNet dev set (or any
JSONL file with a `text` field). The process pins itself to one core and limits BLAS/OpenMP
threads to one before numpy or spaCy are imported. After a warm-up, it times `analyze` (one note
per call, the way a request handler would) and `analyze_many` (batched, the way an export would).

    python scripts/bench_deid.py [--data PATH] [--field text] [--notes 200] [--words 400]

For visit transcripts (mixed case, so NER runs on more lines), e.g.:
    python scripts/bench_deid.py --data /work/shared/data/aci-bench/train.jsonl --field dialogue
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

DEFAULT_DATA = Path("/work/shared/data/deid/physionet_deid_dev.jsonl")


def _notes(path: Path, count: int, words: int, field: str) -> list[str]:
    texts = [json.loads(line)[field] for line in path.open(encoding="utf-8") if line.strip()]
    notes: list[str] = []
    current: list[str] = []
    size = 0
    index = 0
    while len(notes) < count:
        text = texts[index % len(texts)]
        index += 1
        current.append(text)
        size += len(text.split())
        if size >= words:
            notes.append("\n\n".join(current))
            current, size = [], 0
    return notes


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--field", default="text", help="JSON field with the text")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from scribe.deid.factory import build_deidentifier

    started = time.perf_counter()
    deidentifier = build_deidentifier()
    load_seconds = time.perf_counter() - started
    notes = _notes(args.data, args.notes, args.words, args.field)
    word_count = sum(len(note.split()) for note in notes)
    for note in notes[:10]:
        deidentifier.analyze(note)  # warm-up

    started = time.perf_counter()
    for note in notes:
        deidentifier.analyze(note)
    single = time.perf_counter() - started

    started = time.perf_counter()
    deidentifier.analyze_many(notes, batch_size=32)
    batched = time.perf_counter() - started

    report = _report(notes, word_count, load_seconds, single, batched)
    report["rules_version"] = deidentifier.config.version
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


def _report(
    notes: list[str], word_count: int, load_seconds: float, single: float, batched: float
) -> dict[str, object]:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "notes": len(notes),
        "mean_words_per_note": round(word_count / len(notes), 1),
        "load_seconds": round(load_seconds, 2),
        "one_at_a_time": {
            "notes_per_second": round(len(notes) / single, 1),
            "words_per_second": round(word_count / single),
            "ms_per_note": round(1000 * single / len(notes), 1),
        },
        "batched": {
            "notes_per_second": round(len(notes) / batched, 1),
            "words_per_second": round(word_count / batched),
        },
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
