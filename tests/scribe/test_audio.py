"""Decoding uploaded recordings: every supported format, and every way a file can be unusable."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from scribe.audio import (
    SAMPLE_RATE,
    AudioError,
    AudioTooLong,
    CorruptAudio,
    UnsupportedAudio,
    decode_audio,
    is_silent,
)

TONE_SECONDS = 2.0
TONE_AMPLITUDE = 0.3


def _tone(
    rate: int, seconds: float = TONE_SECONDS, amplitude: float = TONE_AMPLITUDE
) -> np.ndarray:
    times = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * times)).astype(np.float32)


def _write(
    path: Path,
    *,
    container: str,
    codec: str,
    rate: int,
    signal: np.ndarray | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode mono `signal` (a 440 Hz tone by default) with PyAV."""
    samples = _tone(rate) if signal is None else signal
    with av.open(str(path), "w", format=container, options=options or {}) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        planar_float = stream.codec_context.format.name == "fltp"
        for start in range(0, samples.size, frame_size):
            chunk = samples[start : start + frame_size]
            if planar_float:
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            else:
                pcm = (chunk * 32767).astype(np.int16)[None, :]
                frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path


FORMATS = {
    "wav": ("wav", "pcm_s16le", 44_100, "wav", "pcm_s16le"),
    "mp3": ("mp3", "libmp3lame", 44_100, "mp3", "mp3"),
    "m4a": ("mp4", "aac", 44_100, "mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    "ogg": ("ogg", "libopus", 48_000, "ogg", "opus"),
    "opus": ("ogg", "libopus", 48_000, "ogg", "opus"),
    "webm": ("webm", "libopus", 48_000, "matroska,webm", "opus"),
}


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_each_supported_format_decodes_to_16k_mono_float(tmp_path: Path, suffix: str) -> None:
    container, codec, rate, expected_container, expected_codec = FORMATS[suffix]
    path = _write(tmp_path / f"tone.{suffix}", container=container, codec=codec, rate=rate)

    decoded = decode_audio(path, max_seconds=60)

    assert decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1
    assert decoded.duration == pytest.approx(decoded.samples.size / SAMPLE_RATE)
    assert decoded.duration == pytest.approx(TONE_SECONDS, abs=0.1)
    assert decoded.container == expected_container
    assert decoded.codec.startswith(expected_codec)
    middle = decoded.samples[SAMPLE_RATE // 2 : SAMPLE_RATE]
    assert np.abs(middle).max() == pytest.approx(TONE_AMPLITUDE, abs=0.05)
    assert not is_silent(decoded.samples)


@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox")
def test_ogg_vorbis_from_sox_decodes(tmp_path: Path) -> None:
    path = tmp_path / "tone.ogg"
    subprocess.run(
        ["sox", "-n", "-r", "22050", "-c", "2", str(path), "synth", "1.5", "sine", "300"],
        check=True,
    )
    decoded = decode_audio(path, max_seconds=60)
    assert decoded.codec == "vorbis"
    assert decoded.duration == pytest.approx(1.5, abs=0.1)


def test_zero_byte_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(CorruptAudio) as caught:
        decode_audio(path, max_seconds=60)
    assert caught.value.status_code == 422
    assert "empty" in caught.value.reason


@pytest.mark.parametrize("suffix", ["wav", "mp3", "m4a", "webm"])
def test_truncated_file_is_corrupt(tmp_path: Path, suffix: str) -> None:
    container, codec, rate, _, _ = FORMATS[suffix]
    whole = _write(tmp_path / f"whole.{suffix}", container=container, codec=codec, rate=rate)
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    with pytest.raises(CorruptAudio) as caught:
        decode_audio(cut, max_seconds=60)
    assert caught.value.status_code == 422


def test_header_only_ogg_is_corrupt_not_unsupported(tmp_path: Path) -> None:
    whole = _write(tmp_path / "whole.ogg", container="ogg", codec="libopus", rate=48_000)
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(CorruptAudio):
        decode_audio(cut, max_seconds=60)


def test_text_renamed_wav_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("Patient reports tingling in both feet.\n" * 20, encoding="utf-8")
    with pytest.raises(UnsupportedAudio) as caught:
        decode_audio(path, max_seconds=60)
    assert caught.value.status_code == 415


def test_playlist_renamed_wav_is_unsupported_and_not_followed(tmp_path: Path) -> None:
    target = _write(tmp_path / "target.wav", container="wav", codec="pcm_s16le", rate=16_000)
    playlist = tmp_path / "playlist.wav"
    playlist.write_text(f"ffconcat version 1.0\nfile {target}\n", encoding="utf-8")
    with pytest.raises(UnsupportedAudio):
        decode_audio(playlist, max_seconds=60)


def test_video_without_audio_stream_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    with pytest.raises(UnsupportedAudio) as caught:
        decode_audio(path, max_seconds=60)
    assert "no audio stream" in caught.value.reason


def test_declared_duration_over_limit_is_too_long(tmp_path: Path) -> None:
    path = _write(tmp_path / "tone.wav", container="wav", codec="pcm_s16le", rate=16_000)
    with pytest.raises(AudioTooLong) as caught:
        decode_audio(path, max_seconds=1.0)
    assert caught.value.status_code == 413


def test_lying_header_is_stopped_while_decoding(tmp_path: Path) -> None:
    """An MP3 whose Xing header claims 5 frames: the decoded length still hits the cap."""
    honest = _write(tmp_path / "honest.mp3", container="mp3", codec="libmp3lame", rate=44_100)
    data = bytearray(honest.read_bytes())
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert tag > 0, "the encoder wrote no Xing/Info header"
    data[tag + 8 : tag + 12] = struct.pack(">I", 5)
    lying = tmp_path / "lying.mp3"
    lying.write_bytes(bytes(data))
    with av.open(str(lying)) as probe:
        assert probe.duration is not None and probe.duration / av.time_base < 0.5

    assert decode_audio(lying, max_seconds=60).duration == pytest.approx(TONE_SECONDS, abs=0.1)
    with pytest.raises(AudioTooLong):
        decode_audio(lying, max_seconds=1.0)


def test_stream_without_declared_duration_is_capped(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "live.webm",
        container="webm",
        codec="libopus",
        rate=48_000,
        options={"live": "1"},
    )
    with av.open(str(path)) as probe:
        assert probe.duration is None
    with pytest.raises(AudioTooLong):
        decode_audio(path, max_seconds=1.0)


def test_silence_decodes_and_is_silent(tmp_path: Path) -> None:
    silence = np.zeros(SAMPLE_RATE * 2, dtype=np.float32)
    path = _write(
        tmp_path / "silence.wav", container="wav", codec="pcm_s16le", rate=16_000, signal=silence
    )
    decoded = decode_audio(path, max_seconds=60)
    assert decoded.duration == pytest.approx(2.0)
    assert is_silent(decoded.samples)


def test_is_silent_thresholds() -> None:
    rng = np.random.default_rng(0)
    hiss = (rng.standard_normal(SAMPLE_RATE) * 10 ** (-70 / 20)).astype(np.float32)
    assert is_silent(hiss)
    assert is_silent(np.zeros(0, dtype=np.float32))
    assert not is_silent(hiss + _tone(SAMPLE_RATE, seconds=1.0, amplitude=0.01))


def test_errors_share_a_base_with_status_and_reason() -> None:
    for error, status in ((UnsupportedAudio, 415), (CorruptAudio, 422), (AudioTooLong, 413)):
        instance = error("why")
        assert isinstance(instance, AudioError)
        assert instance.status_code == status
        assert instance.reason == "why"
