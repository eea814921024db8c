#!/usr/bin/env bash
# Installs the system packages the tests use and every Python dependency into .venv,
# at the exact versions of requirements/lock.txt. Models come inside PyPI packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v sox >/dev/null || need_apt+=(sox)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "please install: ${need_apt[*]} (sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch is pinned to 2.13.0 (CPU build); --no-deps keeps pip from pulling any other version.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements/lock.txt
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
.venv/bin/pip check >/dev/null 2>&1 || true
echo "installed into .venv"
