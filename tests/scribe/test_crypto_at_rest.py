"""Audio at rest: encrypted in authenticated blocks; unreadable and unplayable without the key."""

from __future__ import annotations

import base64
import io
import os
import stat
from pathlib import Path

import av
import pytest

from scribe.audio import decode_audio
from scribe.crypto_at_rest import (
    DecryptionError,
    EncryptingWriter,
    audio_key,
    decrypt_to,
    decrypted_copy,
    encrypt_file,
    plaintext_size,
    read_range,
)
from scribe.settings import Settings
from tests.audio_samples import wav_bytes

KEY = bytes(range(32))


def _encrypted(tmp_path: Path, data: bytes, block_size: int = 1024) -> Path:
    path = tmp_path / "sealed.wav"
    with EncryptingWriter(path, KEY, block_size=block_size) as writer:
        for start in range(0, len(data), 333):  # writes that do not line up with blocks
            writer.write(data[start : start + 333])
    return path


def _decrypt(path: Path, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    decrypt_to(path, out, key)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 4096, 10_000])
def test_round_trip_any_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = _encrypted(tmp_path, data)
    assert _decrypt(path) == data
    assert plaintext_size(path) == size


def test_the_raw_file_is_not_audio_and_holds_no_plaintext_magic(tmp_path: Path) -> None:
    plain = tmp_path / "visit.wav"
    plain.write_bytes(wav_bytes(2.0))
    sealed = tmp_path / "visit-sealed.wav"
    encrypt_file(plain, sealed, KEY)
    raw = sealed.read_bytes()
    for magic in (b"RIFF", b"WAVE", b"fmt ", b"data"):
        assert magic not in raw
    with pytest.raises(av.error.FFmpegError), av.open(str(sealed)) as container:
        next(container.decode(audio=0))
    with decrypted_copy(sealed, KEY) as copy:
        assert copy.read_bytes() == plain.read_bytes()
        assert decode_audio(copy, max_seconds=10).duration == pytest.approx(2.0, abs=0.01)
    assert not copy.exists()


def test_a_flipped_byte_anywhere_is_detected(tmp_path: Path) -> None:
    data = os.urandom(5000)
    path = _encrypted(tmp_path, data)
    raw = bytearray(path.read_bytes())
    for offset in (10, 40, 60, len(raw) // 2, len(raw) - 1):
        tampered = bytearray(raw)
        tampered[offset] ^= 0x01
        path.write_bytes(bytes(tampered))
        with pytest.raises(DecryptionError):
            _decrypt(path)


def test_truncation_reordering_and_the_wrong_key_are_detected(tmp_path: Path) -> None:
    data = os.urandom(4096)
    path = _encrypted(tmp_path, data, block_size=1024)
    raw = path.read_bytes()
    stride = 12 + 4 + 1024 + 16
    header = 28
    with pytest.raises(DecryptionError):
        _decrypt(path, bytes(32))
    path.write_bytes(raw[: header + 2 * stride])  # cut after two whole blocks
    with pytest.raises(DecryptionError):
        _decrypt(path)
    blocks = [raw[header + i * stride : header + (i + 1) * stride] for i in range(2)]
    path.write_bytes(raw[:header] + blocks[1] + blocks[0] + raw[header + 2 * stride :])
    with pytest.raises(DecryptionError):
        _decrypt(path)


def test_ranges_decrypt_only_what_is_asked(tmp_path: Path) -> None:
    data = os.urandom(5000)
    path = _encrypted(tmp_path, data, block_size=1024)
    for start, end in [(0, 0), (0, 4999), (1000, 1100), (1023, 1024), (4999, 4999)]:
        assert b"".join(read_range(path, KEY, start, end)) == data[start : end + 1]


def test_a_legacy_plaintext_file_passes_through(tmp_path: Path) -> None:
    plain = tmp_path / "old.wav"
    plain.write_bytes(wav_bytes(0.5))
    with decrypted_copy(plain, None) as copy:
        assert copy == plain
    assert _decrypt(plain) == plain.read_bytes()


def test_key_from_settings_or_made_once_with_mode_0600(tmp_path: Path) -> None:
    made = Settings(data_dir=tmp_path)
    first = audio_key(made)
    assert audio_key(made) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / "audio.key").stat().st_mode) == 0o600
    given = Settings(data_dir=tmp_path, audio_encryption_key=base64.b64encode(KEY).decode())
    assert audio_key(given) == KEY
    with pytest.raises(ValueError, match="AUDIO_ENCRYPTION_KEY"):
        Settings(audio_encryption_key="c2hvcnQ=")
