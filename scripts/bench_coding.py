"""Benchmark the coding engine: notes/s for ~1,000-word notes on one core, memory, RAF/s.

Prints JSON. Usage: python scripts/bench_coding.py [--notes 60] [--raf 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import date

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import psutil  # noqa: E402

HPI = [
    "{age}-year-old {sex} with type 2 diabetes, chronic kidney disease stage 3b and heart failure "
    "with reduced ejection fraction here for a three month follow-up visit.",
    "Home glucose readings run 140 to 190 fasting and she denies hypoglycemia.",
    "Reports mild ankle swelling in the evenings that resolves overnight, no orthopnea.",
    "She walks twenty minutes most days and is trying to follow a low sodium diet.",
    "Her mother had breast cancer and her father had a stroke in his seventies.",
    "She denies chest pain, palpitations, fever or cough.",
    "Numbness in both feet has been present for about a year and is slowly getting worse.",
    "She asks whether she might need dialysis in the future.",
]
PLAN = [
    "Type 2 diabetes with diabetic chronic kidney disease: A1c 7.8 today, continue metformin "
    "500 mg twice daily and empagliflozin 10 mg daily, recheck A1c in three months.",
    "CKD stage 3b: eGFR 38, stable compared with 41 in the autumn; avoid NSAIDs, nephrology "
    "follow-up in May.",
    "Chronic systolic heart failure: euvolemic on exam, continue carvedilol 12.5 mg twice daily "
    "and sacubitril-valsartan, daily weights.",
    "Hypertension: blood pressure 128/76, at goal on current medicines.",
    "COPD: stable on tiotropium, no exacerbations this winter, spirometry next year.",
    "Depression: PHQ-9 of 8, improving on sertraline 50 mg, continue.",
    "Hyperlipidemia: LDL 74 on atorvastatin 40 mg, continue.",
    "History of ischemic stroke in 2019 without residual deficits, on aspirin.",
]
FILLER = [
    "Physical exam shows a well appearing woman in no acute distress.",
    "Heart regular rate and rhythm without murmur, lungs clear to auscultation bilaterally.",
    "Abdomen soft and non-tender, no hepatosplenomegaly.",
    "Extremities with trace pitting edema at both ankles, pulses two plus.",
    "Skin warm and dry, no rashes or ulcers on foot inspection.",
    "Neurologic exam notable for decreased monofilament sensation at both great toes.",
    "We reviewed her medication list and she has no side effects to report.",
    "Patient education provided about diet, exercise and warning signs to report.",
]


def make_note(rng: random.Random, words: int = 1000) -> str:
    """A synthetic primary-care note of about `words` words."""
    parts = ["HISTORY OF PRESENT ILLNESS:"]
    parts += rng.sample(HPI, len(HPI))
    parts += ["PHYSICAL EXAM:"] + FILLER
    parts += ["ASSESSMENT AND PLAN:"]
    plan = rng.sample(PLAN, len(PLAN))
    parts += [f"{i}. {item}" for i, item in enumerate(plan, start=1)]
    text = "\n".join(parts).format(age=rng.randint(66, 90), sex=rng.choice(["woman", "man"]))
    while len(text.split()) < words:
        text += "\n" + " ".join(rng.sample(FILLER + HPI[3:6], 4))
    return text


def bench_notes(count: int) -> dict[str, float]:
    """Load the engine once, then time `count` notes one after another."""
    from coding.suggest import MedspacySuggester
    from scribe.contracts import PatientContext

    process = psutil.Process()
    rss_start = process.memory_info().rss
    started = time.perf_counter()
    engine = MedspacySuggester()
    load_seconds = time.perf_counter() - started
    rss_loaded = process.memory_info().rss
    rng = random.Random(7)
    notes = [make_note(rng) for _ in range(count)]
    patient = PatientContext(age=74, sex="F", prior_year_dx=("E11.22", "I50.22", "F33.1"))
    engine.suggest(
        transcript=None, note=notes[0], patient=patient, date_of_service=date(2026, 3, 2)
    )
    started = time.perf_counter()
    cpu_started = time.process_time()
    suggestions = 0
    for note in notes:
        report = engine.suggest(
            transcript=None, note=note, patient=patient, date_of_service=date(2026, 3, 2)
        )
        suggestions += len(report.suggestions)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "notes": count,
        "mean_words": round(sum(len(n.split()) for n in notes) / count),
        "notes_per_second_wall": round(count / seconds, 1),
        "notes_per_second_cpu": round(count / cpu_seconds, 1),
        "ms_per_note_wall": round(1000 * seconds / count, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "suggestions_per_note": round(suggestions / count, 1),
        "engine_load_seconds": round(load_seconds, 1),
        "rss_mb_before_load": round(rss_start / 2**20),
        "rss_mb_after_load": round(rss_loaded / 2**20),
        "rss_mb_peak_after_notes": round(process.memory_info().rss / 2**20),
    }


def bench_raf(count: int) -> dict[str, float]:
    """RAF calculations per second through the service path and through hccinfhir directly."""
    from hccinfhir import calculate_raf

    from coding.hcc import raf

    dx = ["E11.40", "J44.9", "I50.22", "N18.4"]
    raf(72, "F", "none", dx)
    started = time.process_time()
    for _ in range(count):
        raf(72, "F", "none", dx)
    service = count / (time.process_time() - started)
    started = time.process_time()
    for _ in range(count):
        calculate_raf(diagnosis_codes=[c.replace(".", "") for c in dx], age=72, sex="F")
    direct = count / (time.process_time() - started)
    return {
        "raf_calls": count,
        "raf_per_second_service_cpu": round(service),
        "raf_per_second_hccinfhir_cpu": round(direct),
    }


def main() -> None:
    """Run both benchmarks and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=60)
    parser.add_argument("--raf", type=int, default=3000)
    args = parser.parse_args()
    psutil.Process().cpu_affinity([0]) if hasattr(psutil.Process(), "cpu_affinity") else None
    result = {"cpu": "one core (affinity pinned, OMP/MKL threads 1)", **bench_notes(args.notes)}
    result.update(bench_raf(args.raf))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
