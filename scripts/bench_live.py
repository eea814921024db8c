"""Benchmark: live transcription of a tablet capture; stop recording -> draft note ready.

Renders the visit as scripts/bench_pipeline.py does (ACI-BENCH valid dialogues, espeak-ng, at
least --minutes) and remuxes it, without re-encoding, into WebM/Opus as a browser's MediaRecorder
writes it (or sends the Ogg/Opus as Firefox does). `scribe serve` runs on a fresh SQLite
database with SCRIBE_LIVE_TRANSCRIPTION=true; the worker is warmed with the shipped sample. Then,
through the capture API: consent, capture, and the byte stream cut into consecutive pieces of
about --chunk-seconds of audio each (MediaRecorder timeslices), piece k sent when its audio has
been recorded, at (k + 1) x slice / --speed seconds after the start. The last piece marks the stop;
the capture is finished and the encounter is polled until drafted and coded.

Every 2 s during the recording the live row's `committed_until` (read from the database,
read-only) is set against the audio sent: the live lag. Prints one JSON object for
BENCHMARKS.md. The target: draft note ready <= 20 s after stopping a 10-minute visit.

Usage: .venv/bin/python scripts/bench_live.py [--minutes 10] [--speed 1] [--compare-plain]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench_pipeline import (
    ROOT,
    Service,
    describe_machine,
    dialogue_turns,
    new_encounter,
    render_visit,
    serving,
    timed_upload,
    wait_for_status,
)

SAMPLE_EVERY_SECONDS = 2.0
IDLE_TIMEOUT_SECONDS = 900.0
CONTAINERS = {"webm": "audio/webm;codecs=opus", "ogg": "audio/ogg;codecs=opus"}


class BenchFailed(Exception):
    """A stage of the benchmark failed; the message says which and why."""


@dataclass(frozen=True)
class Visit:
    """The visit to record: Ogg/Opus audio, what is said in it, and the encounter context."""

    label: str
    ogg: Path
    reference: str
    context: dict[str, Any] = field(default_factory=dict)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="visit length, at least")
    parser.add_argument(
        "--sample", action="store_true", help="record the shipped 85 s sample visit instead"
    )
    parser.add_argument("--speed", type=float, default=1.0, help="1 = real time; 2 = twice as fast")
    parser.add_argument("--chunk-seconds", type=float, default=3.0, help="MediaRecorder timeslice")
    parser.add_argument("--container", choices=sorted(CONTAINERS), default="webm")
    parser.add_argument(
        "--compare-plain",
        action="store_true",
        help="then upload the same audio through the plain path: its WER and upload -> note",
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--trace", type=Path, help="write the lag samples to this CSV file")
    args = parser.parse_args()
    if args.speed <= 0 or args.chunk_seconds <= 0:
        parser.error("--speed and --chunk-seconds must be positive")
    return args


def _visit(args: argparse.Namespace, cache: Path) -> Visit:
    if args.sample:
        from scribe.samples import sample_patient_path, sample_script_text, sample_visit_path

        patient = json.loads(sample_patient_path().read_text("utf-8"))
        script = sample_script_text().splitlines()
        return Visit(
            "shipped sample visit",
            sample_visit_path(),
            " ".join(line.split(":", 1)[1] for line in script if line.strip()),
            {key: patient[key] for key in ("medications", "problems") if key in patient},
        )
    ogg = render_visit(args.minutes, cache)
    reference = " ".join(said for _, said in dialogue_turns(args.minutes))
    return Visit(f"ACI-BENCH valid dialogues, >= {args.minutes:g} min", ogg, reference)


def _recorded_bytes(visit: Visit, container: str) -> bytes:
    """The stream the tablet would record: the Ogg itself, or its Opus packets in live WebM."""
    if container == "ogg":
        return visit.ogg.read_bytes()
    remux = ["ffmpeg", "-loglevel", "error", "-i", str(visit.ogg), "-c:a", "copy"]
    # Written to a pipe, as MediaRecorder does: no seeking back, no cues, sizes left unknown.
    return subprocess.run(
        [*remux, "-f", "webm", "-live", "1", "pipe:1"], capture_output=True, check=True
    ).stdout


def _audio_seconds(path: Path) -> float:
    probe = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    return float(subprocess.run([*probe, str(path)], capture_output=True, check=True).stdout)


def _pieces(data: bytes, count: int) -> list[bytes]:
    size = -(-len(data) // count)
    return [data[i : i + size] for i in range(0, len(data), size)]


class ServiceDb:
    """The service's SQLite database, opened read-only (the benchmark never writes to it)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def live(self, capture_id: str) -> tuple[float, int]:
        """The capture's committed_until and the number of windows that advanced it."""
        row = self._db.execute(
            "SELECT committed_until, windows FROM live_transcript WHERE capture_id = ?",
            (capture_id,),
        ).fetchone()
        return (float(row[0]), int(row[1])) if row else (0.0, 0)

    def job_status(self, job_id: str) -> str:
        """A job's status."""
        return str(self._db.execute("SELECT status FROM job WHERE id = ?", (job_id,)).fetchone()[0])

    def jobs_pending(self) -> int:
        """Jobs queued or running."""
        query = "SELECT count(*) FROM job WHERE status IN ('queued', 'running')"
        return int(self._db.execute(query).fetchone()[0])

    def job_counts(self, kind: str) -> dict[str, int]:
        """Jobs of `kind` by status."""
        rows = self._db.execute(
            "SELECT status, count(*) FROM job WHERE kind = ? GROUP BY status", (kind,)
        )
        return {str(status): int(count) for status, count in rows}

    def jobs_retried(self) -> dict[str, int]:
        """Jobs that needed more than one attempt, by kind (each retry costs time)."""
        rows = self._db.execute("SELECT kind, count(*) FROM job WHERE attempts > 1 GROUP BY kind")
        return {str(kind): int(count) for kind, count in rows}

    def job_errors(self, kind: str) -> list[str]:
        """The last errors of failed jobs of `kind`."""
        rows = self._db.execute(
            "SELECT last_error FROM job WHERE kind = ? AND last_error IS NOT NULL", (kind,)
        )
        return [str(error) for (error,) in rows]

    def wait_idle(self) -> None:
        """Wait until the worker has no job queued or running (warm-up chains included)."""
        deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
        while self.jobs_pending():
            if time.monotonic() > deadline:
                raise BenchFailed(f"the worker was still busy after {IDLE_TIMEOUT_SECONDS:g} s")
            time.sleep(0.5)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _ok(response: httpx.Response, stage: str) -> Any:
    if response.is_error:
        raise BenchFailed(f"{stage}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def _start_capture(client: httpx.Client, encounter_id: str, mime_type: str) -> str:
    script = _ok(client.get("/api/consent-script"), "consent script")
    consent = _ok(
        client.post(
            f"/api/encounters/{encounter_id}/consents",
            json={
                "consented_by": "benchmark patient",
                "method": "verbal",
                "script_version": script["version"],
            },
        ),
        "consent",
    )
    capture = _ok(
        client.post(
            f"/api/encounters/{encounter_id}/captures",
            json={"consent_id": consent["id"], "mime_type": mime_type},
        ),
        "start capture",
    )
    return str(capture["id"])


@dataclass
class Recording:
    """Sends the pieces of one capture at the recording's pace and samples the live lag."""

    client: httpx.Client
    db: ServiceDb
    capture_id: str
    pieces: list[bytes]
    slice_seconds: float
    speed: float
    samples: list[dict[str, float]] = field(default_factory=list)
    max_send_delay: float = 0.0
    max_put_seconds: float = 0.0
    sent: int = 0
    started: float = 0.0

    def run(self) -> float:
        """Send every piece on time, sampling in between; the monotonic time of the stop."""
        self.started = time.monotonic()
        next_sample = self.started
        for seq, piece in enumerate(self.pieces):
            due = self.started + (seq + 1) * self.slice_seconds / self.speed
            while (now := time.monotonic()) < due:
                if now >= next_sample:
                    self.sample()
                    next_sample += SAMPLE_EVERY_SECONDS
                time.sleep(max(0.0, min(due, next_sample) - time.monotonic()))
            self.max_send_delay = max(self.max_send_delay, time.monotonic() - due)
            self._put(seq, piece)
        stop = self.started + len(self.pieces) * self.slice_seconds / self.speed
        self.sample()
        return stop

    def _put(self, seq: int, piece: bytes) -> None:
        began = time.monotonic()
        _ok(
            self.client.put(
                f"/api/captures/{self.capture_id}/chunks/{seq}",
                content=piece,
                headers={
                    "X-Chunk-SHA256": hashlib.sha256(piece).hexdigest(),
                    "Content-Type": "application/octet-stream",
                },
            ),
            f"chunk {seq}",
        )
        self.max_put_seconds = max(self.max_put_seconds, time.monotonic() - began)
        self.sent = seq + 1

    def sample(self) -> None:
        """Record the audio sent, the committed end and the lag between them."""
        committed, windows = self.db.live(self.capture_id)
        sent = self.sent * self.slice_seconds
        self.samples.append(
            {
                "wall_seconds": round(time.monotonic() - self.started, 2),
                "audio_sent_seconds": round(sent, 2),
                "committed_until": round(committed, 2),
                "lag_seconds": round(sent - committed, 2),
                "windows": windows,
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )

    def summary(self) -> dict[str, Any]:
        """Lag statistics over the recording (in seconds of audio)."""
        lags = [sample["lag_seconds"] for sample in self.samples]
        last = self.samples[-1]
        return {
            "lag_max_seconds": max(lags),
            "lag_mean_seconds": round(statistics.fmean(lags), 2),
            "lag_at_stop_seconds": last["lag_seconds"],
            "committed_at_stop_seconds": last["committed_until"],
            "windows_at_stop": last["windows"],
            "samples": len(self.samples),
            "max_send_delay_seconds": round(self.max_send_delay, 2),
            "max_chunk_put_seconds": round(self.max_put_seconds, 2),
            "load_1min_max": max(sample["load_1min"] for sample in self.samples),
        }


def _wait_reached(client: httpx.Client, encounter_id: str, job_id: str, wanted: str) -> float:
    status = wait_for_status(client, encounter_id, wanted)
    if status == "failed":
        job = client.get(f"/api/jobs/{job_id}").json()
        raise BenchFailed(f"processing failed before {wanted!r}: {job.get('last_error')}")
    return time.monotonic()


def _finish(recording: Recording, stop: float, encounter_id: str) -> dict[str, Any]:
    """Finish the capture and time the stages from the stop and from the finish's answer."""
    client, db = recording.client, recording.db
    live_running = db.job_counts("live_transcribe").get("running", 0) > 0
    began = time.monotonic()
    done = _ok(
        client.post(
            f"/api/captures/{recording.capture_id}/finish",
            json={"last_seq": len(recording.pieces) - 1},
        ),
        "finish",
    )
    acknowledged = time.monotonic()
    while db.job_status(done["job_id"]) == "queued":  # behind a live step still running
        if time.monotonic() - acknowledged > IDLE_TIMEOUT_SECONDS:
            raise BenchFailed(f"the tail job did not start in {IDLE_TIMEOUT_SECONDS:g} s")
        time.sleep(0.1)
    tail_started = time.monotonic()
    drafted = _wait_reached(client, encounter_id, done["job_id"], "drafted")
    coded = _wait_reached(client, encounter_id, done["job_id"], "coded")
    return {
        "audio_seconds": done["duration_seconds"],
        "live_step_running_at_finish": live_running,
        "finish_request_seconds": round(acknowledged - began, 2),
        "finish_ack_to_tail_started_seconds": round(tail_started - acknowledged, 2),
        "finish_ack_to_drafted_seconds": round(drafted - acknowledged, 2),
        "finish_ack_to_coded_seconds": round(coded - acknowledged, 2),
        "stop_to_drafted_seconds": round(drafted - stop, 2),
        "stop_to_coded_seconds": round(coded - stop, 2),
    }


def _transcript_wer(client: httpx.Client, encounter_id: str, reference: str) -> float:
    from scribe.evaluation.wer import word_error_rate

    body = _ok(client.get(f"/api/encounters/{encounter_id}/transcript"), "read transcript")
    hypothesis = "\n".join(segment["text"] for segment in body["segments"])
    return round(word_error_rate(reference, hypothesis), 3)


def _record_live(
    service: Service, visit: Visit, args: argparse.Namespace, db: ServiceDb
) -> dict[str, Any]:
    data = _recorded_bytes(visit, args.container)
    duration = _audio_seconds(visit.ogg)
    count = max(1, round(duration / args.chunk_seconds))
    pieces = _pieces(data, count)
    encounter_id = new_encounter(service.client, visit.context)
    capture_id = _start_capture(service.client, encounter_id, CONTAINERS[args.container])
    recording = Recording(
        service.client, db, capture_id, pieces, duration / len(pieces), args.speed
    )
    load_at_start = os.getloadavg()
    stop = recording.run()
    timings = _finish(recording, stop, encounter_id)
    if args.trace:
        with args.trace.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(recording.samples[0]))
            writer.writeheader()
            writer.writerows(recording.samples)
    return {
        "container": args.container,
        "recorded_bytes": len(data),
        "chunks": len(pieces),
        "chunk_audio_seconds": round(recording.slice_seconds, 2),
        "speed": args.speed,
        **timings,
        "live": {
            **recording.summary(),
            "windows_final": db.live(capture_id)[1],
            "steps": db.job_counts("live_transcribe"),
        },
        "jobs_retried": db.jobs_retried(),
        "wer_live": _transcript_wer(service.client, encounter_id, visit.reference),
        "load_average_at_recording_start": [round(x, 2) for x in load_at_start],
    }


def _plain(service: Service, visit: Visit, db: ServiceDb) -> dict[str, Any]:
    """The same audio uploaded whole (no capture, so no live words): WER and upload -> note."""
    db.wait_idle()
    encounter_id = new_encounter(service.client, visit.context)
    timing = timed_upload(service.client, encounter_id, visit.ogg)
    if timing["status"] == "failed":
        raise BenchFailed("the plain upload failed")
    return {
        "wer_plain": _transcript_wer(service.client, encounter_id, visit.reference),
        "plain_upload_ack_to_note_seconds": timing["upload_ack_to_note_seconds"],
    }


def _bench(args: argparse.Namespace, visit: Visit) -> dict[str, Any]:
    from scribe.samples import sample_visit_path

    with serving(args.port, {"SCRIBE_LIVE_TRANSCRIPTION": "true"}) as service:
        db = ServiceDb(service.database)
        try:
            warm = timed_upload(service.client, new_encounter(service.client), sample_visit_path())
            if warm["status"] == "failed":
                raise BenchFailed("warm-up: the shipped sample failed to process")
            db.wait_idle()
            result = _record_live(service, visit, args, db)
            if errors := db.job_errors("live_transcribe"):
                print(f"bench_live: live step errors: {errors[:3]}", file=sys.stderr)
            if args.compare_plain:
                result.update(_plain(service, visit, db))
        finally:
            db.close()
    return {
        **result,
        "warm_up_sample_upload_ack_to_note_seconds": warm["upload_ack_to_note_seconds"],
        "worker_peak_rss_mib": round(service.memory.peak_bytes / 2**20),
    }


def main() -> None:
    """Run the benchmark and print JSON; exit 1 naming the stage that failed."""
    # A SIGTERM ends the run through the `finally` blocks, which stop the service and its worker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = _parse_args()
    cache = ROOT / "var" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    try:
        visit = _visit(args, cache)
        result = _bench(args, visit)
    except (BenchFailed, RuntimeError, httpx.HTTPError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench_live failed: {error}")
    print(
        json.dumps(
            {
                "machine": describe_machine(),
                "visit": visit.label,
                **result,
                "load_average": {
                    "before_service": [round(x, 2) for x in load_before],
                    "at_end": [round(x, 2) for x in os.getloadavg()],
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
