"""The `scribe` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pydantic import ValidationError  # noqa: E402

from models import ModelError, load_catalogue  # noqa: E402
from review_ui.cli_audit import add_audit_parser  # noqa: E402
from review_ui.cli_cleanup import add_cleanup_parser  # noqa: E402
from review_ui.cli_users import add_users_parser  # noqa: E402
from scribe.settings import Settings, get_settings  # noqa: E402

logger = logging.getLogger("scribe.cli")
DEID_MAX_FILE_BYTES = 4 * 1024 * 1024


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        names = ", ".join(str(item["loc"][0]).upper() for item in error.errors())
        raise CliError(f"invalid configuration: {names}: {error.errors()[0]['msg']}") from error


def _emit(payload: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render(payload) + "\n")


def cmd_models(args: argparse.Namespace) -> int:
    """List the models in use with their checksums verified."""
    from review_ui.composition import models_in_use

    settings = _settings()
    version, entries = load_catalogue()
    used = models_in_use(settings, verify=not args.no_verify)
    payload = {
        "catalogue_version": version,
        "in_use": [
            {
                "setting": item.setting,
                "role": item.role,
                "name": item.model.name,
                "path": str(item.model.path),
                "sha256": item.model.sha256,
                "source": item.model.source,
                "version": item.model.version,
                "licence": item.model.licence,
                "verified": not args.no_verify,
            }
            for item in used
        ],
        "catalogue": [entry.__dict__ for entry in entries.values()],
    }
    _emit(payload, args.json, _render_models)
    return 0


def _render_models(payload: dict[str, Any]) -> str:
    lines = [f"model catalogue {payload['catalogue_version']}; in use:"]
    for item in payload["in_use"]:
        state = "sha256 OK" if item["verified"] else "not verified"
        lines.append(
            f"  {item['role']:<20} {item['name']:<24} {item['source']:<32} "
            f"{item['sha256'][:12]}  {state}  ({item['setting']})"
        )
    return "\n".join(lines)


def _load_patient(path: str | None) -> Any:
    """Patient context from plain JSON or a FHIR R4 Bundle (unknown keys are an error)."""
    from coding.errors import CodingInputError
    from coding.patient_input import load_patient_context

    if path is None:
        return None
    try:
        return load_patient_context(json.loads(Path(path).read_bytes()))
    except FileNotFoundError as error:
        raise CliError(f"--patient-json: no such file {path}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CliError(f"--patient-json: {path} is not UTF-8 JSON ({error})") from error
    except CodingInputError as error:
        raise CliError(f"--patient-json: {error}") from error


def _transcribe_file(settings: Settings, audio_path: str, hotwords: tuple[str, ...]) -> Any:
    from review_ui.composition import build_transcriber, models_in_use
    from scribe.audio import AudioError, decode_audio

    if not Path(audio_path).is_file():
        raise CliError(f"no such audio file: {audio_path}")
    try:
        audio = decode_audio(Path(audio_path), max_seconds=settings.max_audio_seconds)
    except AudioError as error:
        raise CliError(f"{audio_path}: {error.reason}") from error
    transcriber = build_transcriber(settings, models_in_use(settings))
    return transcriber.transcribe(audio.samples, hotwords=hotwords)


def _patient_hotwords(patient: Any) -> tuple[str, ...]:
    from scribe.pipeline import visit_hotwords
    from scribe.transcription import load_vocabulary

    if patient is None:
        return ()
    context = {"medications": list(patient.medications), "problems": list(patient.problems)}
    return visit_hotwords(context, load_vocabulary())


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Transcribe an audio file."""
    from review_ui.render import render_transcript

    settings = _settings()
    transcript = _transcribe_file(
        settings, args.audio, _patient_hotwords(_load_patient(args.patient_json))
    )
    _emit(transcript.model_dump(mode="json"), args.json, lambda _: render_transcript(transcript))
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    """Draft a note from a transcript JSON file (as printed by `scribe transcribe --json`)."""
    from review_ui.composition import build_drafter, models_in_use
    from review_ui.render import render_note
    from scribe.contracts import Transcript

    settings = _settings()
    try:
        transcript = Transcript.model_validate_json(Path(args.transcript_json).read_bytes())
    except FileNotFoundError as error:
        raise CliError(f"no such file: {args.transcript_json}") from error
    except ValidationError as error:
        raise CliError(
            f"{args.transcript_json} is not a transcript JSON: {error.errors()[0]['msg']}"
        ) from error
    draft = build_drafter(settings, models_in_use(settings)).draft(transcript)
    _emit(draft.model_dump(mode="json"), args.json, lambda _: render_note(draft))
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    """Transcribe and draft one recording in this process (nothing is stored)."""
    from review_ui.composition import build_drafter, models_in_use
    from review_ui.render import render_note, render_transcript

    settings = _settings()
    patient = _load_patient(args.patient_json)
    transcript = _transcribe_file(settings, args.audio, _patient_hotwords(patient))
    draft = build_drafter(settings, models_in_use(settings)).draft(transcript, context=patient)
    payload = {
        "transcript": transcript.model_dump(mode="json"),
        "note": draft.model_dump(mode="json"),
        "provenance": [
            item.model_dump(mode="json") for item in (*transcript.provenance, *draft.provenance)
        ],
    }
    _emit(payload, args.json, lambda _: render_transcript(transcript) + "\n\n" + render_note(draft))
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """HCC suggestions for a note, a transcript JSON or plain text."""
    from coding.errors import CodingInputError
    from coding.inputs import load_input_file
    from coding.suggest import suggest
    from review_ui.composition import build_suggester, models_in_use
    from review_ui.render import render_suggestions

    settings = _settings()
    patient = _load_patient(args.patient_json)
    try:
        source = load_input_file(Path(args.file))
        report = suggest(
            source,
            patient,
            date_of_service=args.date_of_service,
            suggester=build_suggester(settings, models_in_use(settings)),
        )
    except FileNotFoundError as error:
        raise CliError(f"no such file: {args.file}") from error
    except CodingInputError as error:
        raise CliError(str(error)) from error
    _emit(report.model_dump(mode="json"), args.json, lambda _: render_suggestions(report))
    return 0


def cmd_raf(args: argparse.Namespace) -> int:
    """Risk scores (CMS-HCC V28 and V24 side by side) for demographics and diagnoses."""
    from coding.errors import CodingInputError
    from coding.hcc import raf

    settings = _settings()
    try:
        payload = {
            model: raf(
                args.age,
                args.sex,
                args.dual,
                args.dx,
                model=model,
                orec=args.orec,
                institutional=args.institutional,
                payment_year=args.payment_year or settings.payment_year,
            )
            for model in ("V28", "V24")
        }
    except CodingInputError as error:
        raise CliError(str(error)) from error
    _emit(payload, args.json, _render_raf)
    return 0


def _render_raf(payload: dict[str, Any]) -> str:
    return "\n".join(
        f"{model}: risk score {result['risk_score']:.3f}; HCCs "
        f"{', '.join(result['hcc_list']) or '-'}"
        for model, result in payload.items()
    )


def cmd_eval_coding(args: argparse.Namespace) -> int:
    """ICD-10-CM and HCC precision/recall/F1 on a gold JSONL file."""
    from coding.errors import CodingInputError
    from coding.evaluation import evaluate_coding
    from review_ui.composition import build_suggester, models_in_use

    settings = _settings()
    if not Path(args.dataset).is_file():
        raise CliError(f"no such dataset: {args.dataset}")
    try:
        result = evaluate_coding(
            Path(args.dataset), suggester=build_suggester(settings, models_in_use(settings))
        )
    except CodingInputError as error:
        raise CliError(str(error)) from error
    _emit(result, True, str)
    return 0


def cmd_deid(args: argparse.Namespace) -> int:
    """Detect PHI in a text file and print the spans and the de-identified text."""
    from review_ui.composition import build_deidentifier, models_in_use
    from scribe.deid import DeidInputError, deid_report, read_input_file

    settings = _settings()
    try:
        text = read_input_file(Path(args.file), max_bytes=DEID_MAX_FILE_BYTES)
        deidentifier = build_deidentifier(models_in_use(settings))
        report = deid_report(deidentifier, text, operator=args.operator)
    except FileNotFoundError as error:
        raise CliError(f"no such file: {args.file}") from error
    except DeidInputError as error:
        raise CliError(f"{args.file}: {error}") from error
    _emit(report, args.json, lambda r: str(r["text"]))
    return 0


def cmd_eval_deid(args: argparse.Namespace) -> int:
    """PHI recall and precision on a JSONL gold file (text, phi[{start, end, type}])."""
    from review_ui.composition import build_deidentifier, models_in_use
    from scribe.deid import evaluate_deid

    settings = _settings()
    if not Path(args.dataset).is_file():
        raise CliError(f"no such dataset: {args.dataset}")
    deidentifier = build_deidentifier(models_in_use(settings))
    _emit(evaluate_deid(Path(args.dataset), deidentifier=deidentifier), True, str)
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the API and one supervised worker subprocess."""
    import uvicorn

    from review_ui.app import create_app
    from review_ui.composition import models_in_use
    from review_ui.supervisor import WorkerSupervisor

    settings = _settings()
    models_in_use(settings)
    app = create_app(settings)
    # Uvicorn re-raises SIGTERM after its graceful shutdown; with the default handler that kills
    # this process before `finally` stops the worker (which was then left running).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    supervisor = WorkerSupervisor()
    supervisor.start()
    try:
        # Uvicorn logs through our handlers (PHI filter); its access log would carry query
        # strings, so requests are logged by the app's own middleware instead.
        uvicorn.run(
            app,
            host=args.host or settings.host,
            port=args.port or settings.port,
            log_config=None,
            access_log=False,
        )
    finally:
        supervisor.stop()
    return 0


def cmd_worker(_args: argparse.Namespace) -> int:
    """Run a worker until SIGTERM/SIGINT."""
    from review_ui.app import migrate
    from review_ui.composition import build_handlers
    from scribe.capture import cleanup_orphans
    from scribe.db import make_engine
    from scribe.tables import utcnow
    from scribe.worker import Worker

    settings = _settings()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)

    def clean_orphaned_uploads() -> None:
        older_than = utcnow() - timedelta(hours=settings.capture_orphan_hours)
        cleanup_orphans(engine=engine, settings=settings, older_than=older_than)

    worker = Worker(
        engine,
        build_handlers(settings),
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.job_max_attempts,
        poll_seconds=settings.worker_poll_seconds,
        housekeeping=clean_orphaned_uploads,
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stopping.set())
    worker.run_forever()
    return 0


def cmd_eval_notes(args: argparse.Namespace) -> int:
    """Draft notes for an ACI-BENCH JSONL file and score them against the reference notes."""
    from review_ui.composition import build_drafter, models_in_use
    from scribe.evaluation.notes import evaluate_notes

    settings = _settings()
    if args.drafter:
        settings = settings.model_copy(update={"drafter": args.drafter})
    if not Path(args.dataset).is_file():
        raise CliError(f"no such dataset: {args.dataset}")
    drafter = build_drafter(settings, models_in_use(settings))
    result = evaluate_notes(Path(args.dataset), drafter, limit=args.limit)
    _emit(result, True, str)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the service, process the shipped sample visit through the API, show the result."""
    from review_ui.demo import run_demo

    return run_demo(_settings(), keep_serving=not args.exit_after)


def _with_settings(command: Callable[..., int]) -> Callable[[argparse.Namespace], int]:
    """A `scribe users ...` command bound to the settings and the CLI's error type."""
    return lambda args: command(args, _settings(), CliError)


def _add_process_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", help="wav, mp3, m4a/aac, ogg/opus or webm file")
    parser.add_argument("--patient-json", help="patient context JSON (age, sex, medications...)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `scribe`."""
    parser = argparse.ArgumentParser(prog="scribe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser("process", help="transcribe and draft one recording")
    _add_process_args(process)
    process.set_defaults(handler=cmd_process)
    transcribe = commands.add_parser("transcribe", help="transcribe one recording")
    _add_process_args(transcribe)
    transcribe.set_defaults(handler=cmd_transcribe)
    draft = commands.add_parser("draft", help="draft a note from a transcript JSON")
    draft.add_argument("transcript_json")
    draft.add_argument("--json", action="store_true")
    draft.set_defaults(handler=cmd_draft)

    serve = commands.add_parser("serve", help="run the API and a supervised worker")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=cmd_serve)
    commands.add_parser("worker", help="run a worker").set_defaults(handler=cmd_worker)
    demo = commands.add_parser("demo", help="serve and process the shipped sample visit")
    demo.add_argument("--exit-after", action="store_true", help="stop after showing the note")
    demo.set_defaults(handler=cmd_demo)

    suggest = commands.add_parser("suggest", help="HCC suggestions for a note or transcript")
    suggest.add_argument("file", help="a note (text or draft JSON), transcript JSON or text")
    suggest.add_argument("--patient-json", help="patient context: plain JSON or FHIR Bundle")
    suggest.add_argument("--date-of-service", default=date.today().isoformat())
    suggest.add_argument("--json", action="store_true")
    suggest.set_defaults(handler=cmd_suggest)
    raf = commands.add_parser("raf", help="CMS-HCC risk score (V28 and V24)")
    raf.add_argument("--age", type=int, required=True)
    raf.add_argument("--sex", choices=["F", "M"], required=True)
    raf.add_argument("--dual", default="none", choices=["none", "full", "partial"])
    raf.add_argument(
        "--orec", default="aged", choices=["aged", "disabled", "esrd", "disabled_esrd"]
    )
    raf.add_argument("--institutional", action="store_true")
    raf.add_argument("--payment-year", type=int)
    raf.add_argument("--dx", nargs="*", default=[], metavar="CODE")
    raf.add_argument("--json", action="store_true")
    raf.set_defaults(handler=cmd_raf)

    deid = commands.add_parser("deid", help="de-identify a text file")
    deid.add_argument("file")
    deid.add_argument("--operator", choices=["tag", "redact", "surrogate"], default="tag")
    deid.add_argument("--json", action="store_true")
    deid.set_defaults(handler=cmd_deid)

    models = commands.add_parser("models", help="list models in use and verify checksums")
    models.add_argument("--json", action="store_true")
    models.add_argument("--no-verify", action="store_true", help="skip sha256 checks")
    models.set_defaults(handler=cmd_models)

    add_audit_parser(commands, lambda command: lambda args: command(args, _settings, CliError))
    add_users_parser(commands, _with_settings)
    add_cleanup_parser(commands, _with_settings)

    evaluate = commands.add_parser("eval", help="evaluations").add_subparsers(
        dest="eval_command", required=True
    )
    notes = evaluate.add_parser("notes", help="ROUGE and clinical-fact scores on ACI-BENCH")
    notes.add_argument("--dataset", required=True)
    notes.add_argument("--drafter", choices=["grounded", "hf", "openai"])
    notes.add_argument("--limit", type=int)
    notes.set_defaults(handler=cmd_eval_notes)
    coding_eval = evaluate.add_parser("coding", help="ICD-10-CM and HCC scores on a gold set")
    coding_eval.add_argument("--dataset", required=True)
    coding_eval.set_defaults(handler=cmd_eval_coding)
    deid_eval = evaluate.add_parser("deid", help="PHI recall and precision on a gold set")
    deid_eval.add_argument("--dataset", required=True)
    deid_eval.set_defaults(handler=cmd_eval_deid)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `scribe`."""
    from review_ui.logs import configure_logging

    args = build_parser().parse_args(argv)
    try:
        configure_logging(_settings().log_level)
        return int(args.handler(args))
    except (CliError, ModelError) as error:
        sys.stderr.write(f"scribe: error: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
