"""Audio at rest: files encrypted with AES-256-GCM in authenticated blocks.

Format (all integers big-endian)::

    header   = b"SCRBAUD1" | block_size:u32 | file_id:16 random bytes
    block(i) = nonce:12 | length:u32 | ciphertext+tag (length bytes)

Every block is sealed with AAD = header | i:u64 | final:u8, so a block moved, dropped, replaced
from another file, or a file cut after any block, fails to decrypt. Only the last block is
`final` (it may be empty), and every block before it holds exactly `block_size` plaintext bytes,
so plaintext offsets map to blocks without reading the file (Range requests).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scribe.settings import Settings

MAGIC = b"SCRBAUD1"
BLOCK_SIZE = 1024 * 1024
_HEADER = struct.Struct(">8sI16s")
_BLOCK_HEAD = struct.Struct(">12sI")
_TAG = 16
_KEY_FILE = "audio.key"


class DecryptionError(ValueError):
    """The file is not a valid encrypted file for this key (tampered, truncated or wrong key)."""


def audio_key(settings: Settings) -> bytes:
    """The AES-256 key: the setting, or a key file made once in SCRIBE_DATA_DIR (mode 0600)."""
    if settings.audio_encryption_key is not None:
        return parse_key(settings.audio_encryption_key.get_secret_value())
    path = settings.data_dir / _KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return parse_key(path.read_text().strip())
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return parse_key(path.read_text().strip())


def parse_key(text: str) -> bytes:
    """Decode a base64 key; it must be exactly 32 bytes."""
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the audio encryption key must be base64") from error
    if len(key) != 32:
        raise ValueError("the audio encryption key must be 32 bytes (base64-encoded)")
    return key


def is_encrypted(path: Path) -> bool:
    """Whether `path` starts with the encrypted-file magic (otherwise: a legacy plaintext file)."""
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class EncryptingWriter:
    """Writes plaintext given in any pieces to `path` as an encrypted file (memory: one block)."""

    def __init__(self, path: Path, key: bytes, *, block_size: int = BLOCK_SIZE) -> None:
        self._aead = AESGCM(key)
        self._block_size = block_size
        self._header = _HEADER.pack(MAGIC, block_size, secrets.token_bytes(16))
        self._buffer = bytearray()
        self._index = 0
        self.path = path
        self._file: BinaryIO = path.open("wb")
        self._file.write(self._header)

    def write(self, data: bytes) -> None:
        """Add plaintext; full blocks are sealed and written as they fill."""
        self._buffer += data
        while len(self._buffer) > self._block_size:
            self._seal(bytes(self._buffer[: self._block_size]), final=False)
            del self._buffer[: self._block_size]

    def close(self) -> None:
        """Seal the final block, fsync and close."""
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def discard(self) -> None:
        """Close and delete the unfinished file."""
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> EncryptingWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._header, self._index, final))
        self._file.write(_BLOCK_HEAD.pack(nonce, len(sealed)) + sealed)
        self._index += 1


def encrypt_file(source: Path, destination: Path, key: bytes) -> None:
    """Encrypt `source` into `destination`, streaming."""
    with EncryptingWriter(destination, key) as writer, source.open("rb") as handle:
        while piece := handle.read(BLOCK_SIZE):
            writer.write(piece)


def decrypt_blocks(path: Path, key: bytes, *, first_block: int = 0) -> Iterator[bytes]:
    """The plaintext of an encrypted file block by block, from `first_block`, all verified."""
    aead = AESGCM(key)
    with path.open("rb") as handle:
        header, block_size = _read_header(handle)
        handle.seek(first_block * (_BLOCK_HEAD.size + block_size + _TAG), os.SEEK_CUR)
        index = first_block
        while True:
            plain, final = _open_block(aead, handle, header, index, block_size)
            yield plain
            if final:
                if handle.read(1):
                    raise DecryptionError("data after the final block")
                return
            index += 1


def decrypt_to(path: Path, out: BinaryIO, key: bytes) -> None:
    """Write the verified plaintext of `path` to `out` (a legacy plaintext file is copied)."""
    if not is_encrypted(path):
        with path.open("rb") as handle:
            while piece := handle.read(BLOCK_SIZE):
                out.write(piece)
        return
    for plain in decrypt_blocks(path, key):
        out.write(plain)


@contextmanager
def decrypted_copy(path: Path, key: bytes | None) -> Iterator[Path]:
    """A private (0600) temporary plaintext copy of `path`, removed on exit.

    A legacy plaintext file is yielded as it is. Raises DecryptionError (also without a key).
    """
    if not is_encrypted(path):
        yield path
        return
    if key is None:
        raise DecryptionError("the recording is encrypted and no key was given")
    descriptor, name = tempfile.mkstemp(prefix="plain-", suffix=path.suffix)
    try:
        with os.fdopen(descriptor, "wb") as out:
            decrypt_to(path, out, key)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def plaintext_size(path: Path) -> int:
    """The plaintext length of an encrypted file, from its block headers (not verified)."""
    with path.open("rb") as handle:
        _, block_size = _read_header(handle)
        total_size = path.stat().st_size
        stride = _BLOCK_HEAD.size + block_size + _TAG
        full = (total_size - _HEADER.size) // stride
        handle.seek(_HEADER.size + full * stride)
        head = handle.read(_BLOCK_HEAD.size)
        if len(head) < _BLOCK_HEAD.size:  # the final block was exactly a full stride
            full -= 1
            handle.seek(_HEADER.size + full * stride)
            head = handle.read(_BLOCK_HEAD.size)
        _, length = _BLOCK_HEAD.unpack(head)
        return full * block_size + length - _TAG


def read_range(path: Path, key: bytes, start: int, end: int) -> Iterator[bytes]:
    """Verified plaintext bytes `start`..`end` (inclusive) of an encrypted file."""
    with path.open("rb") as handle:
        _, block_size = _read_header(handle)
    first = start // block_size
    position = first * block_size
    for plain in decrypt_blocks(path, key, first_block=first):
        lo, hi = max(start - position, 0), min(end + 1 - position, len(plain))
        if lo < hi:
            yield plain[lo:hi]
        position += len(plain)
        if position > end:
            return


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, int(final))


def _read_header(handle: BinaryIO) -> tuple[bytes, int]:
    header = handle.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise DecryptionError("not an encrypted audio file (short header)")
    magic, block_size, _ = _HEADER.unpack(header)
    if magic != MAGIC or not 0 < block_size <= 64 * 1024 * 1024:
        raise DecryptionError("not an encrypted audio file")
    return header, block_size


def _open_block(
    aead: AESGCM, handle: BinaryIO, header: bytes, index: int, block_size: int
) -> tuple[bytes, bool]:
    head = handle.read(_BLOCK_HEAD.size)
    if len(head) < _BLOCK_HEAD.size:
        raise DecryptionError("the encrypted file is truncated")
    nonce, length = _BLOCK_HEAD.unpack(head)
    if not _TAG <= length <= block_size + _TAG:
        raise DecryptionError("the encrypted file has a damaged block header")
    sealed = handle.read(length)
    if len(sealed) < length:
        raise DecryptionError("the encrypted file is truncated")
    # A short block can only be the last; a full one may be either (try "more follows" first).
    for final in (False, True) if length - _TAG == block_size else (True,):
        try:
            return aead.decrypt(nonce, sealed, _aad(header, index, final)), final
        except InvalidTag:
            continue
    raise DecryptionError(f"block {index} failed authentication (tampered or wrong key)")
