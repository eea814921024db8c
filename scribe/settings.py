"""The one settings object: every environment variable the service reads is declared here."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service configuration, read from `SCRIBE_*` variables (and `DATABASE_URL`).

    Invalid values stop start-up with a message naming the setting; nothing falls back silently.
    """

    model_config = SettingsConfigDict(env_prefix="SCRIBE_", extra="forbid", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/scribe.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; sqlite:///path (default) or postgresql+psycopg://...",
    )
    data_dir: Path = Field(default=Path("var"), description="Recordings and model caches.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_audio_seconds: float = Field(default=2 * 60 * 60, gt=0)
    max_chunk_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest chunk of a chunked capture."
    )
    decode_timeout_seconds: float = Field(
        default=300, gt=0, description="Wall-clock limit of the isolated decode of one upload."
    )
    decode_memory_bytes: int | None = Field(
        default=None,
        ge=256 * 1024 * 1024,
        description=(
            "Address-space limit of the decode process; default 640 MiB plus room for "
            "SCRIBE_MAX_AUDIO_SECONDS of decoded audio."
        ),
    )
    capture_orphan_hours: float = Field(
        default=24, gt=0, description="Open captures untouched this long are abandoned."
    )
    audio_encryption_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64 of 32 bytes: the AES-256-GCM key of audio at rest; when unset, a random key "
            "is created once in SCRIBE_DATA_DIR/audio.key."
        ),
    )

    whisper_model: str = Field(
        default="bundled:whisper-tiny.en",
        description="'bundled:<catalogue name>' or a local CTranslate2 model directory.",
    )
    whisper_device: Literal["cpu", "cuda", "auto"] = "cpu"
    whisper_compute_type: str = "int8"
    whisper_threads: int = Field(default=2, ge=1)
    whisper_beam_size: int = Field(default=1, ge=1, le=10)

    drafter: Literal["grounded", "hf", "openai"] = Field(
        default="grounded", description="Which NoteDrafter writes the draft."
    )
    llm_model: str = Field(
        default="bundled:smollm2-135m-instruct",
        description="For drafter=hf: 'bundled:<name>' or a local Hugging Face model directory.",
    )
    llm_device: Literal["cpu", "cuda", "auto"] = "cpu"
    llm_max_new_tokens: int = Field(default=384, ge=16, le=4096)
    llm_endpoint_url: str | None = Field(
        default=None, description="For drafter=openai: base URL of an OpenAI-compatible API."
    )
    llm_endpoint_model: str | None = None
    llm_api_key: str | None = None
    llm_deidentify: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            "De-identify transcripts sent to SCRIBE_LLM_ENDPOINT_URL: 'auto' does so unless "
            "the endpoint is on the loopback interface."
        ),
    )
    deid_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key for per-patient date shifts in de-identified exports; when unset, a random key "
            "is created once in SCRIBE_DATA_DIR/deid.key."
        ),
    )
    live_transcription: bool = Field(
        default=True,
        description=(
            "Transcribe tablet captures while they are recorded, in windows cut at pauses, so "
            "that only the tail is left when the visit ends (see BENCHMARKS.md)."
        ),
    )
    audit_signing_key: Path | None = Field(
        default=None,
        description=(
            "PEM Ed25519 private key that signs audit exports and packets; when unset, one is "
            "created once in SCRIBE_DATA_DIR/audit-signing-key.pem."
        ),
    )
    embedding_model: str = "bundled:all-minilm-l6-v2"
    spacy_model: str = "bundled:en-core-web-sm"

    payment_year: int = Field(
        default=2026, ge=2025, le=2027, description="CMS-HCC payment year for RAF figures."
    )

    code_set_policy: Literal["strict", "latest-installed"] = Field(
        default="latest-installed",
        description=(
            "Dates of service newer than the installed ICD-10-CM code set: 'strict' refuses "
            "them; 'latest-installed' codes them against the newest installed set with a "
            "notice on every report."
        ),
    )

    submission_dir: Path | None = Field(
        default=None,
        description=(
            "Folder submissions (FHIR R4 Bundles) are delivered to, one file per submission; "
            "default SCRIBE_DATA_DIR/submissions. Unused when SCRIBE_SUBMISSION_FHIR_URL is set."
        ),
    )
    submission_fhir_url: str | None = Field(
        default=None,
        description=(
            "Base URL of a FHIR R4 server to deliver submissions to instead of the folder "
            "(POST [base]/Bundle, conditional create on the Bundle identifier)."
        ),
    )

    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1, le=10)
    worker_poll_seconds: float = Field(default=0.5, gt=0)

    session_idle_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="A session ends after this long unused."
    )
    session_absolute_hours: float = Field(
        default=12, gt=0, le=7 * 24, description="A session ends this long after sign-in."
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            "Secure flag of the session cookie: 'auto' sets it when the request came over HTTPS "
            "(as uvicorn sees it; behind a TLS proxy, use 'always')."
        ),
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="Failed sign-ins per username before refusing."
    )
    login_max_failures_per_client: int = Field(
        default=20, ge=1, le=1000, description="Failed sign-ins per client address before refusing."
    )
    login_throttle_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="Window in which failed sign-ins are counted."
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql URL")
        return value

    @field_validator("audio_encryption_key")
    @classmethod
    def _audio_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                raw = base64.b64decode(value.get_secret_value(), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError("SCRIBE_AUDIO_ENCRYPTION_KEY must be base64 of 32 bytes")
        return value

    @field_validator("submission_fhir_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("SCRIBE_SUBMISSION_FHIR_URL must be an http:// or https:// URL")
        return value

    @property
    def submission_path(self) -> Path:
        """The folder submissions are delivered to (when no FHIR server is configured)."""
        return self.submission_dir or self.data_dir / "submissions"

    @property
    def recordings_dir(self) -> Path:
        """Where uploaded recordings are stored."""
        return self.data_dir / "recordings"

    @property
    def captures_dir(self) -> Path:
        """Where chunks of tablet captures wait (encrypted) until the visit is finished."""
        return self.data_dir / "captures"

    @property
    def decode_memory_limit(self) -> int:
        """Address-space limit (bytes) of the isolated decode process."""
        if self.decode_memory_bytes is not None:
            return self.decode_memory_bytes
        decoded = int(self.max_audio_seconds * 16_000 * 4)  # float32 at 16 kHz
        return 640 * 1024 * 1024 + 3 * decoded

    @property
    def model_cache_dir(self) -> Path:
        """Where packaged models that ship zipped are unpacked (locally, never downloaded)."""
        return self.data_dir / "model-cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
