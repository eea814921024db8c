"""Which audio container a file is, by its magic bytes, and whether its name and type agree."""

from __future__ import annotations

from pathlib import Path

from scribe.audio import UnsupportedAudio

__all__ = ["check_declared", "container_of_suffix", "container_of_type", "sniff", "sniff_file"]

_BY_SUFFIX = {
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".m4a": "mp4",
    ".mp4": "mp4",
    ".aac": "aac",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
    ".webm": "webm",
    ".weba": "webm",
    ".mka": "webm",
    ".flac": "flac",
}
_BY_TYPE = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "mp4",
    "audio/m4a": "mp4",
    "audio/x-m4a": "mp4",
    "video/mp4": "mp4",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "application/ogg": "ogg",
    "video/ogg": "ogg",
    "audio/webm": "webm",
    "video/webm": "webm",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
}
# AAC is sent raw (ADTS) or in MP4; both names are honest for either.
_AGREES = {"aac": {"aac", "mp4"}, "mp4": {"mp4", "aac"}}
# PyAV demuxer names each sniffed container may decode as.
DEMUXERS = {
    "wav": {"wav"},
    "mp3": {"mp3"},
    "mp4": {"mov,mp4,m4a,3gp,3g2,mj2"},
    "aac": {"aac"},
    "ogg": {"ogg"},
    "webm": {"matroska,webm"},
    "flac": {"flac"},
}


def sniff(head: bytes) -> str | None:
    """The container named by the first bytes (at least 12), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "webm"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0b11
        return "aac" if layer == 0 else "mp3"  # ADTS has layer 00; MPEG audio 01..11
    return None


def sniff_file(path: Path) -> str | None:
    """`sniff` of the file's first bytes."""
    with path.open("rb") as handle:
        return sniff(handle.read(16))


def container_of_suffix(suffix: str) -> str | None:
    """The container a filename extension names, or None where it names none we know."""
    return _BY_SUFFIX.get(suffix.lower())


def container_of_type(content_type: str) -> str | None:
    """The container a content type names (parameters ignored), or None for generic types."""
    return _BY_TYPE.get(content_type.split(";")[0].strip().lower())


def check_declared(sniffed: str | None, *, suffix: str = "", content_type: str = "") -> str:
    """The sniffed container, when the extension and content type agree with it.

    Raises:
        UnsupportedAudio (415): no known audio magic, or a name/type naming another container.
    """
    if sniffed is None:
        raise UnsupportedAudio(
            "the content is not a supported audio file (wav, mp3, m4a/aac, ogg/opus, webm, flac)"
        )
    allowed = _AGREES.get(sniffed, {sniffed})
    by_suffix = container_of_suffix(suffix)
    if suffix and suffix != ".audio" and by_suffix not in allowed:
        raise UnsupportedAudio(
            f"the file extension {suffix!r} does not match its {sniffed} content"
        )
    by_type = container_of_type(content_type)
    if by_type is not None and by_type not in allowed:
        raise UnsupportedAudio(
            f"the content type {content_type!r} does not match the file's {sniffed} content"
        )
    return sniffed
