"""Recall and precision of the de-identifier on JSONL evaluation sets; prints JSON.

By default it scores the PhysioNet deid dev set (if present) and the synthetic spoken-transcript
set in tests/data/deid. See scribe.deid.evaluation for exactly how spans are counted.

    python scripts/eval_deid.py [PATH ...] [--full]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_SETS = [
    Path("/work/shared/data/deid/physionet_deid_dev.jsonl"),
    Path("tests/data/deid/spoken_transcripts.jsonl"),
]


def _summary(report: dict) -> dict:
    def value(table: dict, key: str) -> float | None:
        return table[key]["value"] if key in table else None

    recall, groups = report["recall"], report["recall_by_group"]
    return {
        "documents": report["dataset"]["documents"],
        "gold_spans": report["dataset"]["gold_spans"],
        "recall_overall": value(recall, "overall"),
        "recall_overall_with_year": value(recall, "overall_with_year"),
        "precision_overall": value(report["precision"], "overall"),
        "recall_by_group": {key: item["value"] for key, item in groups.items()},
        "recall_by_type": {
            key: item["value"]
            for key, item in recall.items()
            if key not in {"overall", "overall_with_year", "excluded"}
        },
        "precision_by_type": {
            key: item["value"] for key, item in report["precision"].items() if key != "overall"
        },
        "seconds": report["seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--full", action="store_true", help="print hit and total counts too")
    args = parser.parse_args(argv)
    from scribe.deid.evaluation import evaluate_deid
    from scribe.deid.factory import build_deidentifier

    paths = args.paths or [path for path in DEFAULT_SETS if path.exists()]
    if not paths:
        print("no evaluation set found", file=sys.stderr)
        return 2
    deidentifier = build_deidentifier()
    output = {"rules_version": deidentifier.config.version, "sets": {}}
    for path in paths:
        report = evaluate_deid(path, deidentifier=deidentifier)
        output["sets"][path.name] = report if args.full else _summary(report)
    json.dump(output, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
