"""Turns configuration into stage objects and job handlers (the only place that does)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coding.contracts import ConditionSuggester
from models import ModelError, ResolvedModel, resolve
from review_ui.privacy import remote_needs_deidentification, round_trip_factory
from scribe.contracts import NoteDrafter, Transcriber
from scribe.deid import PresidioDeidentifier
from scribe.settings import Settings
from scribe.worker import JobHandler

if TYPE_CHECKING:
    from coding.delivery import Destination


@dataclass(frozen=True)
class ModelInUse:
    """A model the current configuration uses, and the setting that selects it."""

    setting: str
    role: str
    model: ResolvedModel


def _resolve(settings: Settings, setting: str, spec: str, *, verify: bool = True) -> ResolvedModel:
    return resolve(spec, setting=setting, cache_dir=settings.model_cache_dir, verify=verify)


def models_in_use(settings: Settings, *, verify: bool = True) -> list[ModelInUse]:
    """Resolve (and by default checksum) every model the configuration needs.

    Raises ModelError naming the setting to fix.
    """
    used = [
        ModelInUse(
            "SCRIBE_WHISPER_MODEL",
            "transcriber",
            _resolve(settings, "SCRIBE_WHISPER_MODEL", settings.whisper_model, verify=verify),
        ),
        ModelInUse(
            "SCRIBE_SPACY_MODEL",
            "clinical-nlp",
            _resolve(settings, "SCRIBE_SPACY_MODEL", settings.spacy_model, verify=verify),
        ),
        ModelInUse(
            "SCRIBE_EMBEDDING_MODEL",
            "sentence-embedding",
            _resolve(settings, "SCRIBE_EMBEDDING_MODEL", settings.embedding_model, verify=verify),
        ),
    ]
    if settings.drafter == "hf":
        used.append(
            ModelInUse(
                "SCRIBE_LLM_MODEL",
                "note-llm",
                _resolve(settings, "SCRIBE_LLM_MODEL", settings.llm_model, verify=verify),
            )
        )
    if settings.drafter == "openai" and not (
        settings.llm_endpoint_url and settings.llm_endpoint_model
    ):
        raise ModelError(
            "SCRIBE_DRAFTER=openai needs SCRIBE_LLM_ENDPOINT_URL and SCRIBE_LLM_ENDPOINT_MODEL"
        )
    return used


def _by_setting(used: list[ModelInUse], setting: str) -> ResolvedModel:
    return next(item.model for item in used if item.setting == setting)


def build_transcriber(settings: Settings, used: list[ModelInUse]) -> Transcriber:
    """The configured transcriber."""
    from scribe.transcription import FasterWhisperTranscriber, load_vocabulary

    model = _by_setting(used, "SCRIBE_WHISPER_MODEL")
    return FasterWhisperTranscriber(
        model.path,
        model_sha256=model.sha256,
        model_name=model.name,
        device=settings.whisper_device,
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        beam_size=settings.whisper_beam_size,
        vocabulary=load_vocabulary(),
    )


def build_drafter(settings: Settings, used: list[ModelInUse]) -> NoteDrafter:
    """The configured note drafter (grounded by default), with its faithfulness check."""
    from scribe.drafting import (
        ClinicalNlp,
        EvidenceAligner,
        FaithfulnessChecker,
        GroundedNoteDrafter,
        HfNoteDrafter,
        OpenAINoteDrafter,
        SentenceEmbedder,
    )

    spacy_model = _by_setting(used, "SCRIBE_SPACY_MODEL")
    if settings.drafter == "grounded":
        return GroundedNoteDrafter(spacy_model.path, spacy_model_sha256=spacy_model.sha256)
    embedding = _by_setting(used, "SCRIBE_EMBEDDING_MODEL")
    aligner = EvidenceAligner(SentenceEmbedder(embedding.path, sha256=embedding.sha256))
    checker = FaithfulnessChecker(ClinicalNlp(spacy_model.path, sha256=spacy_model.sha256))
    if settings.drafter == "hf":
        llm = _by_setting(used, "SCRIBE_LLM_MODEL")
        return HfNoteDrafter(
            llm.path,
            model_sha256=llm.sha256,
            model_name=llm.name,
            device=settings.llm_device,
            max_new_tokens=settings.llm_max_new_tokens,
            aligner=aligner,
            checker=checker,
            cache_dir=settings.model_cache_dir,
        )
    round_trip = None
    if remote_needs_deidentification(settings):
        round_trip = round_trip_factory(build_deidentifier(used))
    return OpenAINoteDrafter(
        settings.llm_endpoint_url or "",
        settings.llm_endpoint_model or "",
        settings.llm_api_key,
        aligner=aligner,
        checker=checker,
        round_trip=round_trip,
    )


def build_deidentifier(used: list[ModelInUse]) -> PresidioDeidentifier:
    """The de-identifier on the configured spaCy model (Presidio, project recognizers)."""
    from scribe.deid import PresidioDeidentifier

    spacy_model = _by_setting(used, "SCRIBE_SPACY_MODEL")
    return PresidioDeidentifier(spacy_model.path, spacy_model_sha256=spacy_model.sha256)


def build_suggester(settings: Settings, used: list[ModelInUse]) -> ConditionSuggester:
    """The HCC suggestion engine on the configured spaCy model."""
    from coding.nlp import ClinicalNlp
    from coding.suggest import MedspacySuggester

    spacy_model = _by_setting(used, "SCRIBE_SPACY_MODEL")
    nlp = ClinicalNlp(
        spacy_model.path, model_name=spacy_model.name, model_sha256=spacy_model.sha256
    )
    return MedspacySuggester(
        nlp,
        payment_year=settings.payment_year,
        newer_dates_use_latest_code_set=settings.code_set_policy == "latest-installed",
    )


def build_destination(settings: Settings) -> Destination:
    """Where submissions are delivered: the FHIR server if configured, else the folder."""
    from coding.delivery import DirectoryDestination, FhirServerDestination

    if settings.submission_fhir_url:
        return FhirServerDestination(settings.submission_fhir_url)
    return DirectoryDestination(settings.submission_path)


def build_handlers(settings: Settings) -> dict[str, JobHandler]:
    """Job kind -> handler for the worker, with models resolved and verified."""
    from coding.delivery import DeliveryHandler
    from coding.pipeline import CODE_JOB, CodingHandler, coding_follow_up
    from coding.submission import SUBMIT_JOB
    from scribe.crypto_at_rest import audio_key
    from scribe.live_transcription import LIVE_JOB, LiveTranscribeHandler
    from scribe.pipeline import DraftHandler, TranscribeHandler
    from scribe.services import DRAFT_JOB, TRANSCRIBE_JOB
    from scribe.transcription import load_vocabulary

    used = models_in_use(settings)
    transcriber = build_transcriber(settings, used)  # one model for both transcription jobs
    handlers: dict[str, JobHandler] = {
        TRANSCRIBE_JOB: TranscribeHandler(
            transcriber,
            vocabulary=load_vocabulary(),
            max_audio_seconds=settings.max_audio_seconds,
            max_attempts=settings.job_max_attempts,
            audio_key=audio_key(settings),
        ),
        DRAFT_JOB: DraftHandler(
            build_drafter(settings, used),
            follow_ups=[coding_follow_up(settings.job_max_attempts)],
        ),
        CODE_JOB: CodingHandler(build_suggester(settings, used)),
        SUBMIT_JOB: DeliveryHandler(build_destination(settings)),
    }
    if settings.live_transcription:
        handlers[LIVE_JOB] = LiveTranscribeHandler(
            transcriber,  # type: ignore[arg-type]  (the configured transcriber is faster-whisper)
            vocabulary=load_vocabulary(),
            audio_key=audio_key(settings),
            max_audio_seconds=settings.max_audio_seconds,
            decode_timeout_seconds=settings.decode_timeout_seconds,
            decode_memory_bytes=settings.decode_memory_limit,
            max_attempts=settings.job_max_attempts,
        )
    return handlers
