"""Checks every incoming recording passes (plain upload and assembled capture alike).

Magic bytes name the container; the filename extension and content type must agree with it
(415); the file is then decoded in an isolated, time- and memory-limited process, and what the
decoder found must be the container the magic bytes named (415).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scribe.audio import DecodedAudio, UnsupportedAudio
from scribe.audio_sandbox import decode_audio_isolated
from scribe.crypto_at_rest import encrypt_file
from scribe.recordings import StoredUpload
from scribe.settings import Settings
from scribe.sniff import DEMUXERS, check_declared, sniff_file

__all__ = ["DecodeLimits", "seal_upload", "validate_audio"]


@dataclass(frozen=True)
class DecodeLimits:
    """How long a recording may last and what decoding one may cost."""

    max_seconds: float
    timeout_seconds: float
    memory_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DecodeLimits:
        """The limits configured for this service."""
        return cls(
            max_seconds=settings.max_audio_seconds,
            timeout_seconds=settings.decode_timeout_seconds,
            memory_bytes=settings.decode_memory_limit,
        )


def validate_audio(
    path: Path, *, suffix: str, content_type: str, limits: DecodeLimits
) -> DecodedAudio:
    """Sniff, check the declared name and type, decode in isolation; raises AudioError."""
    sniffed = check_declared(sniff_file(path), suffix=suffix, content_type=content_type)
    audio = decode_audio_isolated(
        path,
        max_seconds=limits.max_seconds,
        timeout=limits.timeout_seconds,
        memory_bytes=limits.memory_bytes,
    )
    if audio.container not in DEMUXERS[sniffed]:
        raise UnsupportedAudio(
            f"the file starts like {sniffed} but decodes as {audio.container} (a polyglot file)"
        )
    return audio


def seal_upload(upload: StoredUpload, key: bytes) -> StoredUpload:
    """An encrypted copy of `upload` beside it (same suffix); hash and size stay the plaintext's."""
    sealed = upload.path.with_name(f"{upload.path.stem}-sealed{upload.path.suffix}")
    encrypt_file(upload.path, sealed, key)
    return StoredUpload(sealed, upload.sha256, upload.size_bytes)
