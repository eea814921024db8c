#!/usr/bin/env bash
# The whole test suite: lint, layer contract, then pytest (including end-to-end tests that run
# the real bundled models).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check scribe coding review_ui models tests scripts
.venv/bin/lint-imports
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
