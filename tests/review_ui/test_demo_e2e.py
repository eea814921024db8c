"""`scribe demo --exit-after`, the README's main job, end to end on the bundled models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.live_service import free_port

pytestmark = pytest.mark.e2e


def test_demo_processes_the_sample_visit(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'scribe.db'}",
            "SCRIBE_DATA_DIR": str(tmp_path / "var"),
            "SCRIBE_PORT": str(free_port()),
            "HF_HUB_OFFLINE": "1",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "review_ui.cli", "demo", "--exit-after"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for heading in ("TRANSCRIPT", "DRAFT NOTE (grounded)", "HCC SUGGESTIONS"):
        assert heading in out, out[-3000:]
    assert "[supported] E11.40" in out and "[undocumented] I48.91" in out
    assert "Sample visit processed in" in out
    assert not _processes_of(tmp_path), "the demo left a server or worker process running"


def _processes_of(data_root: Path) -> list[int]:
    """Service processes started with this test's data directory that are still alive."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if "review_ui.cli" in " ".join(process.info["cmdline"] or ()) and str(
                data_root
            ) in process.environ().get("SCRIBE_DATA_DIR", ""):
                found.append(process.info["pid"])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found
