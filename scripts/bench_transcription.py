"""Measure transcription of the shipped sample visit and print the numbers as JSON.

Each configuration runs in a fresh subprocess, so "cold" really includes imports and the model
load and the peak RSS belongs to that configuration alone. Reported per configuration: cold and
warm (median) seconds and real-time factors, WER against the script, speaker-role accuracy
against the rendered timing, and peak RSS. Also speaker-role accuracy on ACI-BENCH valid.

Usage: python scripts/bench_transcription.py [--runs 3] [--quick] [--aci PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIGS = [  # the first is the service default
    {"batched": True, "biasing": "initial_prompt"},
    {"batched": True, "biasing": "hotwords"},
    {"batched": True, "biasing": "none"},
    {"batched": False, "biasing": "hotwords"},
    {"batched": False, "biasing": "initial_prompt"},
    {"batched": False, "biasing": "none"},
]
DEFAULT_ACI = Path("/work/shared/data/aci-bench/valid.jsonl")


def _speaker_accuracy(transcript: Any, reference: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of recognised words whose segment role matches the turn playing at that time."""

    def role_at(moment: float) -> str:
        def distance(turn: dict[str, Any]) -> float:
            if turn["start"] <= moment <= turn["end"]:
                return 0.0
            return min(abs(moment - turn["start"]), abs(moment - turn["end"]))

        return str(min(reference, key=distance)["speaker"])

    words = right = 0
    segments_right = 0
    for segment in transcript.segments:
        truths = [role_at((w.start + w.end) / 2) for w in segment.words]
        words += len(truths)
        right += sum(1 for truth in truths if truth == segment.speaker)
        majority = max(set(truths), key=truths.count) if truths else "unknown"
        segments_right += majority == segment.speaker
    count = len(transcript.segments)
    return {
        "word_accuracy": round(right / words, 4) if words else None,
        "segment_accuracy": round(segments_right / count, 4) if count else None,
        "segments": count,
    }


def run_child(config: dict[str, Any], runs: int) -> dict[str, Any]:
    """One configuration, cold then warm, in this (fresh) process."""
    started = time.perf_counter()
    from models import resolve
    from scribe.audio import decode_audio
    from scribe.contracts import PatientContext
    from scribe.evaluation.wer import word_error_rate
    from scribe.samples import (
        sample_patient_path,
        sample_script_text,
        sample_segments_path,
        sample_visit_path,
    )
    from scribe.transcription import FasterWhisperTranscriber, load_vocabulary, patient_terms

    model = resolve(
        "bundled:whisper-tiny.en", setting="SCRIBE_WHISPER_MODEL", cache_dir=Path("var/model-cache")
    )
    vocabulary = load_vocabulary()
    patient = PatientContext.model_validate_json(sample_patient_path().read_text("utf-8"))
    hotwords = patient_terms(vocabulary, medications=patient.medications, problems=patient.problems)
    audio = decode_audio(sample_visit_path(), max_seconds=600)
    transcriber = FasterWhisperTranscriber(
        model.path,
        model_sha256=model.sha256,
        model_name=model.name,
        vocabulary=vocabulary,
        batched=config["batched"],
        biasing=config["biasing"],
    )
    setup = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    transcript = transcriber.transcribe(audio.samples, hotwords=hotwords)
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    warm, warm_cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        transcript = transcriber.transcribe(audio.samples, hotwords=hotwords)
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu_started)
    reference = " ".join(
        line.split(":", 1)[1] for line in sample_script_text().splitlines() if line.strip()
    )
    turns = json.loads(sample_segments_path().read_text("utf-8"))["segments"]
    warm_median = statistics.median(warm) if warm else None
    return {
        **config,
        "audio_seconds": round(audio.duration, 2),
        "setup_seconds": round(setup, 2),
        "cold_seconds": round(cold, 2),
        "cold_realtime_factor": round(audio.duration / cold, 1),
        "warm_seconds": round(warm_median, 2) if warm_median else None,
        "warm_realtime_factor": round(audio.duration / warm_median, 1) if warm_median else None,
        # CPU seconds: a check on wall times taken while other work shares the two cores.
        "cold_cpu_seconds": round(cold_cpu, 2),
        "warm_cpu_seconds": round(statistics.median(warm_cpu), 2) if warm_cpu else None,
        "wer": round(word_error_rate(reference, transcript.text), 4),
        "speaker_roles": _speaker_accuracy(transcript, turns),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run every configuration in a subprocess and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs per configuration")
    parser.add_argument("--quick", action="store_true", help="only the default configuration")
    parser.add_argument("--aci", type=Path, default=DEFAULT_ACI, help="ACI-BENCH valid.jsonl")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(run_child(json.loads(args.child), args.runs)) + "\n")
        return
    results = []
    load_before = os.getloadavg()[0]
    for config in CONFIGS[:1] if args.quick else CONFIGS:
        output = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(config), "--runs", str(args.runs)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    report: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "load_average_1min_at_start": round(load_before, 2),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "sample": results,
    }
    if args.aci.is_file():
        from scribe.evaluation.speakers import evaluate_speaker_roles

        aci = evaluate_speaker_roles(args.aci)
        report["aci_bench_speaker_roles"] = {
            key: aci[key]
            for key in ("dataset", "dialogues", "with_turn_alternation", "lexical_only")
        } | {"suspected_label_swaps": aci["suspected_label_swaps"]}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
