"""Chunk files of tablet captures on disk: written durably and encrypted, assembled, removed."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

from scribe.crypto_at_rest import EncryptingWriter, decrypt_blocks

__all__ = ["ChunkCorrupted", "assemble", "remove_capture_dir", "write_chunk"]


class ChunkCorrupted(ValueError):
    """A stored chunk no longer matches the sha256 acknowledged for it."""


def capture_dir(captures_dir: Path, capture_id: str) -> Path:
    """The folder of one capture's chunks."""
    return captures_dir / capture_id


def write_chunk(directory: Path, seq: int, data: bytes, key: bytes) -> Path:
    """Encrypt `data` to a new file in `directory`, fsync it and its folder; return its path.

    Each write gets a fresh name, so a retry never overwrites an acknowledged chunk.
    """
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{seq:08d}-{secrets.token_hex(6)}.chunk"
    partial = final.with_suffix(".part")
    with EncryptingWriter(partial, key) as writer:
        writer.write(data)
    os.replace(partial, final)
    _fsync_dir(directory)
    return final


def assemble(chunks: Sequence[tuple[Path, str]], out: Path, key: bytes) -> tuple[str, int]:
    """Decrypt (path, sha256) chunks in order into `out`; return the sha256 and size of the whole.

    Raises ChunkCorrupted when a chunk's plaintext does not match its acknowledged sha256.
    """
    whole = hashlib.sha256()
    size = 0
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for path, expected in chunks:
            part = hashlib.sha256()
            for block in decrypt_blocks(path, key):
                part.update(block)
                whole.update(block)
                size += len(block)
                handle.write(block)
            if part.hexdigest() != expected:
                raise ChunkCorrupted(f"stored chunk {path.name} does not match its sha256")
    return whole.hexdigest(), size


def remove_capture_dir(directory: Path) -> None:
    """Delete a capture's folder and everything in it (missing is fine)."""
    shutil.rmtree(directory, ignore_errors=True)


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
