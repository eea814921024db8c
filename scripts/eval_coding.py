"""Evaluate the coding engine on a gold JSONL set and print the metrics as JSON.

Usage: python scripts/eval_coding.py [tests/data/golden/coding/gold.jsonl] [--full]
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from coding.evaluation import evaluate_coding

DEFAULT = Path(__file__).resolve().parents[1] / "tests/data/golden/coding/gold.jsonl"


def main() -> None:
    """Run the evaluation and print JSON (mismatch details only with --full)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", nargs="?", default=str(DEFAULT))
    parser.add_argument("--full", action="store_true", help="include per-record mismatches")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = evaluate_coding(args.dataset)
    if not args.full:
        result.pop("mismatches")
        result["traps"].pop("violation_details")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
