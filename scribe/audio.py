"""Decode uploaded recordings into 16 kHz mono float32 samples, with errors a client can act on.

Only a fixed list of demuxers is allowed (playlists and concat files could make FFmpeg open
other files), the declared duration is checked before decoding and the decoded length is capped
while decoding, so a lying header cannot make the decoder run on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "AudioTooLong",
    "CorruptAudio",
    "DecodedAudio",
    "UnsupportedAudio",
    "decode_audio",
    "is_silent",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Sample rate of every decoded recording (what Whisper expects)."""
MAX_CHANNELS = 8  # more than any microphone a clinic records with

_ALLOWED_DEMUXERS = "wav,mp3,mov,ogg,matroska,flac,aac"
_MAX_BAD_PACKETS = 3
_BAD_PACKET_SHARE = 0.02
_TRUNCATION_SHARE = 0.9
_TRUNCATION_SECONDS = 1.0
_SILENCE_DBFS = -55.0
_SILENCE_FRAME = 480  # 30 ms at 16 kHz


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded recording: mono float32 samples at SAMPLE_RATE and what it was."""

    samples: np.ndarray
    duration: float
    container: str
    codec: str


class AudioError(Exception):
    """A recording that cannot be used; `status_code` is the HTTP status to answer with."""

    status_code: int = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedAudio(AudioError):  # noqa: N818 (names of the service API)
    """Not an audio file this service reads, or a file with no audio stream."""

    status_code = 415


class CorruptAudio(AudioError):  # noqa: N818 (names of the service API)
    """An audio file that is empty, truncated or cannot be decoded."""

    status_code = 422


class AudioTooLong(AudioError):  # noqa: N818 (names of the service API)
    """A recording longer than the configured maximum."""

    status_code = 413


def decode_audio(path: Path, *, max_seconds: float) -> DecodedAudio:
    """Decode `path` to mono float32 at 16 kHz.

    Raises:
        UnsupportedAudio: not a supported audio container, or no audio stream.
        CorruptAudio: empty, truncated or undecodable.
        AudioTooLong: declared or decoded duration above `max_seconds`.
    """
    if path.stat().st_size == 0:
        raise CorruptAudio("the file is empty")
    container = _open(path)
    with container:
        stream = _audio_stream(container)
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > max_seconds:
            raise AudioTooLong(
                f"the recording lasts {declared:.1f} s, more than the {max_seconds:g} s allowed"
            )
        samples = _decode_stream(container, stream, max_samples=int(max_seconds * SAMPLE_RATE))
        container_name = container.format.name
        codec = stream.codec_context.name
    duration = len(samples) / SAMPLE_RATE
    if len(samples) == 0:
        raise CorruptAudio("no audio could be decoded from the file")
    if container_name == "wav" and _wav_data_missing(path):
        raise CorruptAudio("the WAV file is truncated: its header promises more audio")
    if declared is not None and _looks_truncated(declared, duration):
        raise CorruptAudio(
            f"the file looks truncated: {duration:.1f} s decoded of {declared:.1f} s declared"
        )
    logger.info(
        "decoded audio: container=%s codec=%s seconds=%.2f", container_name, codec, duration
    )
    return DecodedAudio(samples=samples, duration=duration, container=container_name, codec=codec)


def is_silent(samples: np.ndarray, *, threshold_dbfs: float = _SILENCE_DBFS) -> bool:
    """True when no 30 ms frame of `samples` is louder than `threshold_dbfs` (RMS)."""
    if samples.size == 0:
        return True
    usable = samples.size - samples.size % _SILENCE_FRAME
    frames = samples[:usable].reshape(-1, _SILENCE_FRAME) if usable else samples.reshape(1, -1)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    loudest = float(rms.max())
    return loudest <= 10 ** (threshold_dbfs / 20)


def _open(path: Path) -> av.container.InputContainer:
    """Open with the demuxer allow-list; tell a damaged audio file from something else."""
    options = {"format_whitelist": _ALLOWED_DEMUXERS, "protocol_whitelist": "file"}
    try:
        return av.open(str(path), mode="r", options=options)
    except (av.error.FFmpegError, OSError) as error:
        if _has_audio_signature(path):
            raise CorruptAudio("the audio file is damaged or truncated") from error
        raise UnsupportedAudio(
            "not a supported audio file (wav, mp3, m4a/aac, ogg/opus, webm, flac)"
        ) from error


def _has_audio_signature(path: Path) -> bool:
    """Whether the first bytes are those of an audio container the service reads."""
    with path.open("rb") as handle:
        head = handle.read(12)
    return (
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
        or head[:3] == b"ID3"
        or head[:4] in (b"OggS", b"fLaC", b"\x1aE\xdf\xa3")
        or head[4:8] == b"ftyp"
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # MPEG/ADTS sync
    )


def _audio_stream(container: av.container.InputContainer) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        raise UnsupportedAudio("the file has no audio stream")
    stream = container.streams.audio[0]
    channels = stream.codec_context.channels
    if channels > MAX_CHANNELS:
        # A well-formed file, but not a visit recording (a tablet records 1 or 2 channels);
        # said plainly rather than letting the mono downmix fail as "damaged".
        raise CorruptAudio(
            f"the recording has {channels} audio channels; at most {MAX_CHANNELS} are accepted"
        )
    return stream


def _declared_seconds(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream
) -> float | None:
    """Duration the container claims, or None where it does not say (live WebM)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decode_stream(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    *,
    max_samples: int,
) -> np.ndarray:
    """Decode, resample and join; stop as soon as more than `max_samples` are decoded."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = packets = bad = 0
    try:
        for packet in container.demux(stream):
            packets += 1
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                bad += 1
                continue
            for frame in frames:
                total += _resample_into(resampler, frame, chunks)
            if total > max_samples:
                raise _too_long(max_samples)
        total += _resample_into(resampler, None, chunks)
    except (av.error.FFmpegError, ValueError) as error:
        raise CorruptAudio("the audio stream is damaged and cannot be decoded") from error
    _check_bad_packets(bad, packets)
    if total > max_samples:
        raise _too_long(max_samples)
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _too_long(max_samples: int) -> AudioTooLong:
    return AudioTooLong(f"the recording is longer than the {max_samples / SAMPLE_RATE:g} s allowed")


def _resample_into(
    resampler: av.AudioResampler, frame: av.AudioFrame | None, chunks: list[np.ndarray]
) -> int:
    added = 0
    for out in resampler.resample(frame):
        array = out.to_ndarray().reshape(-1)
        chunks.append(array)
        added += array.size
    return added


def _check_bad_packets(bad: int, packets: int) -> None:
    if bad:
        logger.warning("audio decode skipped damaged packets: bad=%d total=%d", bad, packets)
    if bad > max(_MAX_BAD_PACKETS, _BAD_PACKET_SHARE * packets):
        raise CorruptAudio(f"{bad} of {packets} audio packets are damaged")


def _looks_truncated(declared: float, decoded: float) -> bool:
    shortfall = declared - decoded
    return shortfall > _TRUNCATION_SECONDS and decoded < _TRUNCATION_SHARE * declared


def _wav_data_missing(path: Path) -> bool:
    """Whether a WAV file's `data` chunk declares more bytes than the file holds.

    FFmpeg quietly shortens such files; sizes 0 and 0xFFFFFFFF (streaming writers) mean unknown.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(4096)
    offset = 12
    while offset + 8 <= len(header):
        chunk_id = header[offset : offset + 4]
        chunk_size = int.from_bytes(header[offset + 4 : offset + 8], "little")
        if chunk_id == b"data":
            if chunk_size in (0, 0xFFFFFFFF):
                return False
            return size - (offset + 8) < chunk_size
        offset += 8 + chunk_size + (chunk_size & 1)
    return False
