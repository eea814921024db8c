"""Benchmark: a 10-minute visit from upload acknowledged to draft note ready, and worker memory.

Renders ACI-BENCH valid dialogues with espeak-ng (two voices) until the audio is at least
--minutes long, starts `scribe serve` on a fresh SQLite database, warms the worker up with the
shipped sample visit, then uploads the long visit and times it. Peak RSS of the worker process
is sampled every 0.1 s. Prints JSON (with the machine described) for BENCHMARKS.md.

Usage: .venv/bin/python scripts/bench_pipeline.py [--minutes 10] [--port 8765]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
ACI_VALID = ROOT.parent / "shared" / "data" / "aci-bench" / "valid.jsonl"
VOICES = {"doctor": "en-us", "patient": "en-us+f3"}


def dialogue_turns(minutes: float) -> list[tuple[str, str]]:
    """(speaker, words) turns of whole ACI-BENCH valid dialogues, at least `minutes` long."""
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
    for index, (speaker, said) in enumerate(dialogue_turns(minutes)):
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
            try:
                children = self._server.children(recursive=True)
            except psutil.Error:  # the server has exited
                return
            for child in children:
                try:
                    self.peak_bytes = max(self.peak_bytes, child.memory_info().rss)
                except psutil.Error:
                    continue

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


def describe_machine() -> dict[str, object]:
    """CPU model (from lscpu), logical cores and memory of this machine."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        lscpu = ""
    names = [line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line]
    return {
        "cpu": names[0] if names else platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
    }


@dataclass
class Service:
    """A running `scribe serve` on a fresh SQLite database, and a client signed in to it."""

    client: httpx.Client
    server: subprocess.Popen[bytes]
    memory: PeakRss
    database: Path


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stop_process_tree(server: subprocess.Popen[bytes]) -> None:
    """Stop `server` (SIGTERM, then SIGKILL) and any child it leaves behind (its worker)."""
    try:
        family = psutil.Process(server.pid).children(recursive=True)
    except psutil.Error:
        family = []
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for child in family:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(family, timeout=30)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


@contextlib.contextmanager
def serving(port: int, extra_env: Mapping[str, str] | None = None) -> Iterator[Service]:
    """Start `scribe serve` on a fresh database; stop it (and its worker) and remove it after."""
    from review_ui.demo import ensure_demo_user, sign_in, wait_for_health

    if not _port_free(port):
        raise RuntimeError(f"port {port} is in use: pass another --port")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    database = work / "bench.db"
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{database}",
        SCRIBE_DATA_DIR=str(work / "data"),
        SCRIBE_PORT=str(port),
        SCRIBE_LOG_LEVEL="WARNING",
        **(extra_env or {}),
    )
    username, password = ensure_demo_user(env["DATABASE_URL"], username="bench.clinician")
    server = subprocess.Popen([sys.executable, "-m", "review_ui.cli", "serve"], env=env)
    memory = PeakRss(server)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            wait_for_health(client, server)
            sign_in(client, username, password)
            yield Service(client, server, memory, database)
    finally:
        memory.stop()
        stop_process_tree(server)
        shutil.rmtree(work, ignore_errors=True)


def new_encounter(client: httpx.Client, context: Mapping[str, object] | None = None) -> str:
    """Create a patient and an encounter for today (with the visit `context`); its id."""
    patient = client.post("/api/patients", json={"birth_date": "1950-01-01", "sex": "M"})
    body: dict[str, object] = {
        "patient_id": patient.raise_for_status().json()["id"],
        "date_of_service": date.today().isoformat(),
    }
    if context:
        body["context"] = dict(context)
    return str(client.post("/api/encounters", json=body).raise_for_status().json()["id"])


def wait_for_status(
    client: httpx.Client, encounter_id: str, wanted: str, timeout: float = 1800.0
) -> str:
    """Poll every 0.2 s until the encounter has reached (or passed) `wanted`, or failed.

    Returns the status seen.
    """
    from review_ui.demo import STATUS_ORDER

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(client.get(f"/api/encounters/{encounter_id}").json()["status"])
        if status == "failed" or (
            status in STATUS_ORDER and STATUS_ORDER.index(status) >= STATUS_ORDER.index(wanted)
        ):
            return status
        time.sleep(0.2)
    raise RuntimeError(f"encounter {encounter_id} did not reach {wanted!r} in {timeout:g} s")


def timed_upload(client: httpx.Client, encounter_id: str, audio: Path) -> dict[str, object]:
    """Upload `audio` (Ogg) to the encounter; time upload acknowledged -> draft note."""
    upload = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=audio.read_bytes(),
        params={"filename": audio.name},
        headers={"Content-Type": "audio/ogg"},
    )
    upload.raise_for_status()
    acknowledged = time.monotonic()
    status = wait_for_status(client, encounter_id, "drafted")
    return {
        "status": status,
        "audio_seconds": upload.json()["duration_seconds"],
        "upload_ack_to_note_seconds": round(time.monotonic() - acknowledged, 2),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    from scribe.samples import sample_visit_path

    cache = ROOT / "var" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    visit = render_visit(args.minutes, cache)
    with serving(args.port) as service:
        client = service.client
        warm_up = timed_upload(client, new_encounter(client), sample_visit_path())
        long_visit = timed_upload(client, new_encounter(client), visit)
    print(
        json.dumps(
            {
                "machine": describe_machine(),
                "cold_sample_visit": warm_up,
                "warm_long_visit": long_visit,
                "worker_peak_rss_mib": round(service.memory.peak_bytes / 2**20),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
