"""Benchmark: a 10-minute visit from upload acknowledged to draft note ready, and worker memory.

Renders ACI-BENCH valid dialogues with espeak-ng (two voices) until the audio is at least
--minutes long, starts `scribe serve` on a fresh SQLite database, warms the worker up with the
shipped sample visit, then uploads the long visit and times it. Peak RSS of the worker process
is sampled every 0.1 s. Prints JSON (with the machine described) for BENCHMARKS.md.

Usage: .venv/bin/python scripts/bench_pipeline.py [--minutes 10] [--port 8765]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
ACI_VALID = ROOT.parent / "shared" / "data" / "aci-bench" / "valid.jsonl"
VOICES = {"doctor": "en-us", "patient": "en-us+f3"}


def _turns(minutes: float) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    words = 0
    for line in ACI_VALID.read_text("utf-8").splitlines():
        for turn in json.loads(line)["dialogue"].splitlines():
            if not turn.startswith("["):
                continue
            tag, _, said = turn[1:].partition("]")
            turns.append(("doctor" if tag == "doctor" else "patient", said.strip()))
            words += len(said.split())
        if words > minutes * 175:  # espeak speaks ~175 words a minute
            break
    return turns


def render_visit(minutes: float, folder: Path) -> Path:
    """Render dialogue turns to one Ogg/Opus file of at least `minutes` minutes."""
    target = folder / f"visit-{minutes:g}min.opus"
    if target.exists():
        return target
    parts = []
    for index, (speaker, said) in enumerate(_turns(minutes)):
        wav = folder / f"turn-{index:04d}.wav"
        subprocess.run(
            ["espeak-ng", "-v", VOICES[speaker], "-s", "165", "-w", str(wav), said], check=True
        )
        parts.append(str(wav))
    joined = folder / "joined.wav"
    subprocess.run(["sox", *parts, "-r", "16000", "-c", "1", str(joined)], check=True)
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(joined),
            "-c:a",
            "libopus",
            "-b:a",
            "24k",
            str(target),
        ],
        check=True,
    )
    for part in parts:
        Path(part).unlink()
    return target


class PeakRss:
    """Samples the RSS of the serve process's worker children."""

    def __init__(self, server: subprocess.Popen[bytes]) -> None:
        self._server = psutil.Process(server.pid)
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for child in self._server.children(recursive=True):
                try:
                    self.peak_bytes = max(self.peak_bytes, child.memory_info().rss)
                except psutil.Error:
                    continue

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


def _timed_visit(client: httpx.Client, audio: Path) -> dict[str, float]:
    patient = client.post("/api/patients", json={"birth_date": "1950-01-01", "sex": "M"}).json()
    encounter = client.post(
        "/api/encounters",
        json={"patient_id": patient["id"], "date_of_service": date.today().isoformat()},
    ).json()
    upload = client.post(
        f"/api/encounters/{encounter['id']}/recordings",
        content=audio.read_bytes(),
        params={"filename": audio.name},
        headers={"Content-Type": "audio/ogg"},
    )
    upload.raise_for_status()
    acknowledged = time.monotonic()
    while True:
        status = client.get(f"/api/encounters/{encounter['id']}").json()["status"]
        if status in ("drafted", "coded", "failed"):
            break
        time.sleep(0.2)
    ready = time.monotonic() - acknowledged
    jobs = upload.json()
    return {
        "status": status,
        "audio_seconds": jobs["duration_seconds"],
        "upload_ack_to_note_seconds": round(ready, 2),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    from review_ui.demo import ensure_demo_user, sign_in
    from scribe.samples import sample_visit_path

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    cache = ROOT / "var" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    visit = render_visit(args.minutes, cache)
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{work / 'bench.db'}",
        SCRIBE_DATA_DIR=str(work / "data"),
        SCRIBE_PORT=str(args.port),
        SCRIBE_LOG_LEVEL="WARNING",
    )
    username, password = ensure_demo_user(env["DATABASE_URL"], username="bench.clinician")
    server = subprocess.Popen([sys.executable, "-m", "review_ui.cli", "serve"], env=env)
    memory = PeakRss(server)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=120) as client:
            while True:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            sign_in(client, username, password)
            warm_up = _timed_visit(client, sample_visit_path())
            long_visit = _timed_visit(client, visit)
    finally:
        memory.stop()
        server.terminate()
        server.wait(60)
    print(
        json.dumps(
            {
                "machine": {
                    "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(),
                    "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                },
                "cold_sample_visit": warm_up,
                "warm_long_visit": long_visit,
                "worker_peak_rss_mib": round(memory.peak_bytes / 2**20),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
