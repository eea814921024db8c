"""Audio made by the tests themselves (PyAV / numpy / wave): no downloads."""

from __future__ import annotations

import io
import struct
import wave

import av
import numpy as np


def tone(rate: int, seconds: float, amplitude: float = 0.3) -> np.ndarray:
    """A 440 Hz mono tone as float32."""
    times = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * times)).astype(np.float32)


def wav_bytes(
    seconds: float = 1.0, *, rate: int = 16_000, channels: int = 1, silent: bool = False
) -> bytes:
    """A PCM s16 WAV file."""
    signal = np.zeros(int(rate * seconds), np.float32) if silent else tone(rate, seconds)
    pcm = np.repeat((signal * 32767).astype("<i2")[:, None], channels, axis=1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return buffer.getvalue()


def wav_header(*, rate: int, channels: int, data_bytes: int) -> bytes:
    """A 44-byte WAV header declaring `data_bytes` of s16 PCM (which may be a lie)."""
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", (36 + data_bytes) & 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    )


def encoded(
    container: str,
    codec: str,
    rate: int,
    seconds: float,
    options: dict[str, str] | None = None,
) -> bytes:
    """A tone encoded with PyAV into `container` (e.g. webm/libopus, ogg/libopus, mp4/aac)."""
    buffer = io.BytesIO()
    samples = tone(rate, seconds)
    with av.open(buffer, "w", format=container, options=options or {}) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        size = stream.codec_context.frame_size or 1024
        planar = stream.codec_context.format.name == "fltp"
        for start in range(0, samples.size, size):
            chunk = samples[start : start + size]
            if planar:
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            else:
                pcm = (chunk * 32767).astype(np.int16)[None, :]
                frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def webm_opus(seconds: float = 3.0) -> bytes:
    """What a browser's MediaRecorder makes: Opus in WebM."""
    return encoded("webm", "libopus", 48_000, seconds)


def fragmented_mp4_aac(seconds: float = 3.0) -> bytes:
    """What Safari's MediaRecorder makes: AAC in fragmented MP4 (the header first, then
    fragments), so that a prefix of the byte stream is itself a playable file."""
    return encoded(
        "mp4",
        "aac",
        48_000,
        seconds,
        options={
            "movflags": "frag_keyframe+empty_moov+default_base_moof",
            "frag_duration": "1000000",
        },
    )


def cut(data: bytes, pieces: int) -> list[bytes]:
    """`data` in `pieces` consecutive byte ranges (like MediaRecorder timeslices)."""
    size = -(-len(data) // pieces)
    return [data[i : i + size] for i in range(0, len(data), size)]
