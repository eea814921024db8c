"""Re-run the note-drafting measurements and print them as JSON.

Usage:
    .venv/bin/python scripts/eval_notes.py [--dataset PATH] [--drafter grounded|hf|both]
        [--limit N] [--hf-limit N]

The grounded drafter runs on every record (or --limit); the HF drafter (bundled SmolLM2, about
15 tokens/s on 2 CPU cores) on --hf-limit records (default 3).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

DEFAULT_DATASET = Path("/work/shared/data/aci-bench/valid.jsonl")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--drafter", choices=("grounded", "hf", "both"), default="both")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--hf-limit", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=Path("var/model-cache"))
    return parser.parse_args()


def main() -> int:
    """Evaluate the requested drafters and print one JSON object."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)
    from models import resolve
    from scribe.drafting import (
        EvidenceAligner,
        FaithfulnessChecker,
        GroundedNoteDrafter,
        HfNoteDrafter,
        SentenceEmbedder,
    )
    from scribe.evaluation.notes import evaluate_notes

    args = _arguments()
    spacy_model = resolve("bundled:en-core-web-sm", setting="spacy_model", cache_dir=args.cache_dir)
    grounded = GroundedNoteDrafter(spacy_model.path, spacy_model_sha256=spacy_model.sha256)
    results = {}
    if args.drafter in ("grounded", "both"):
        results["grounded"] = evaluate_notes(args.dataset, grounded, limit=args.limit)
    if args.drafter in ("hf", "both"):
        llm = resolve(
            "bundled:smollm2-135m-instruct", setting="llm_model", cache_dir=args.cache_dir
        )
        embedding = resolve(
            "bundled:all-minilm-l6-v2", setting="embedding_model", cache_dir=args.cache_dir
        )
        drafter = HfNoteDrafter(
            llm.path,
            model_sha256=llm.sha256,
            model_name=llm.name,
            aligner=EvidenceAligner(SentenceEmbedder(embedding.path, sha256=embedding.sha256)),
            checker=FaithfulnessChecker(grounded.nlp),
            cache_dir=args.cache_dir / "hf-dequantised",
        )
        results["hf"] = evaluate_notes(args.dataset, drafter, limit=args.hf_limit)
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
