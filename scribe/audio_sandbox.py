"""`decode_audio` in a child process with a wall-clock timeout and an address-space limit.

A hostile file cannot hang the server or exhaust its memory: the child is killed at the timeout
and runs under RLIMIT_AS, so an allocation bomb fails inside the child instead of the server
(both answer CorruptAudio, 422, with a reason). The
child runs the very same `decode_audio`, so results are identical to decoding in-process.

Run as `python -m scribe.audio_sandbox IN OUT MAX_SECONDS`: writes the samples to OUT (.npy)
and one JSON line to stdout (the metadata, or the AudioError class and reason).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from scribe.audio import (
    AudioError,
    AudioTooLong,
    CorruptAudio,
    DecodedAudio,
    UnsupportedAudio,
    decode_audio,
)

_ERRORS: dict[str, type[AudioError]] = {
    cls.__name__: cls for cls in (AudioTooLong, CorruptAudio, UnsupportedAudio)
}
_CHILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def decode_audio_isolated(
    path: Path, *, max_seconds: float, timeout: float, memory_bytes: int
) -> DecodedAudio:
    """`decode_audio(path)` in a limited child process; raises the same AudioError subclasses."""
    with tempfile.TemporaryDirectory(prefix="decode-") as scratch:
        out = Path(scratch) / "samples.npy"
        command = [sys.executable, "-m", "scribe.audio_sandbox", str(path), str(out)]
        try:
            finished = subprocess.run(
                [*command, repr(float(max_seconds))],
                capture_output=True,
                timeout=timeout,
                env={**os.environ, **_CHILD_ENV},
                preexec_fn=_limit(memory_bytes),
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise CorruptAudio(f"the file took longer than {timeout:g} s to decode") from error
        result = _last_json(finished.stdout)
        if result is None:
            raise CorruptAudio("the file could not be decoded within the memory limit")
        if "error" in result:
            raise _ERRORS.get(result["error"], CorruptAudio)(str(result["reason"]))
        samples = np.load(out, allow_pickle=False)
    return DecodedAudio(
        samples=samples,
        duration=float(result["duration"]),
        container=str(result["container"]),
        codec=str(result["codec"]),
    )


def _limit(memory_bytes: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _last_json(stdout: bytes) -> dict[str, object] | None:
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _child(argv: list[str]) -> int:
    source, out, max_seconds = Path(argv[0]), Path(argv[1]), float(argv[2])
    try:
        audio = decode_audio(source, max_seconds=max_seconds)
    except AudioError as error:
        print(json.dumps({"error": type(error).__name__, "reason": error.reason}))
        return 0
    except MemoryError:
        print(json.dumps({"error": "CorruptAudio", "reason": "decoding needs too much memory"}))
        return 0
    np.save(out, audio.samples, allow_pickle=False)
    meta = {"duration": audio.duration, "container": audio.container, "codec": audio.codec}
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
