#!/usr/bin/env bash
# Installs the system packages the tests use and every Python dependency into .venv,
# at the exact versions of requirements/lock.txt. Models come inside PyPI packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v sox >/dev/null || need_apt+=(sox)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
# Browser tests drive Debian's Chromium (Playwright never downloads its own browser here).
command -v chromium >/dev/null || need_apt+=(chromium)
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
quiet_pip() {
  # The machine's pip configuration names local indexes that may be absent; hide those notices.
  local log status=0
  log=$(mktemp)
  .venv/bin/pip "$@" --quiet --disable-pip-version-check >"$log" 2>&1 || status=$?
  grep -v "^WARNING: Location" "$log" || true
  rm -f "$log"
  return "$status"
}
# Every package at the exact version of the lock, torch 2.13.0 (CPU build) included; --no-deps
# keeps pip from pulling anything else (medspaCy and Presidio would downgrade spaCy's deps).
quiet_pip install --no-deps -r requirements/lock.txt
quiet_pip install --no-deps -e .
echo "installed into .venv"
