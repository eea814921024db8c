"""Storing uploaded audio: streamed to disk under a byte cap, hashed while writing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


class UploadTooLarge(ValueError):
    """The upload passed the byte cap while streaming."""


class EmptyUpload(ValueError):
    """The upload had no bytes."""


@dataclass(frozen=True)
class StoredUpload:
    """A finished upload in its temporary file."""

    path: Path
    sha256: str
    size_bytes: int


class CappedUploadWriter:
    """Writes chunks to a temporary file in `directory`, refusing more than `max_bytes`.

    The cap is checked as bytes arrive, so a lying or missing Content-Length cannot fill the disk.
    On any error the temporary file is removed.
    """

    def __init__(self, directory: Path, *, max_bytes: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._max_bytes = max_bytes
        self._digest = hashlib.sha256()
        self._size = 0
        handle, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
        self._file = os.fdopen(handle, "wb")
        self.path = Path(name)

    def write(self, chunk: bytes) -> None:
        """Append a chunk; raises UploadTooLarge (and removes the file) past the cap."""
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.discard()
            raise UploadTooLarge(f"upload exceeds the limit of {self._max_bytes} bytes")
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StoredUpload:
        """Flush to disk (fsync) and return the finished upload."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if self._size == 0:
            self.discard()
            raise EmptyUpload("the upload is empty (0 bytes)")
        return StoredUpload(self.path, self._digest.hexdigest(), self._size)

    def discard(self) -> None:
        """Close and delete the temporary file."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


def final_path(recordings_dir: Path, recording_id: str, suffix: str) -> Path:
    """Where a recording's file lives once accepted."""
    return recordings_dir / f"{recording_id}{suffix}"
