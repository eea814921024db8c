"""The JSON that `scribe deid FILE [--operator ...] --json` prints, and reading its input file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from scribe.deid.engine import PresidioDeidentifier
from scribe.deid.errors import DeidInputError
from scribe.deid.operators import Operator
from scribe.deid.surrogates import SurrogateSession


def read_input_file(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of a file to de-identify, or DeidInputError saying why it cannot be read.

    Messages leave the path out: callers put it in front ("notes.txt: no such file").
    """
    path = Path(path)
    if not path.is_file():
        raise DeidInputError("no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DeidInputError(f"the file has {size:,} bytes; the limit is {max_bytes:,}")
    return path.read_bytes()


def deid_report(
    deidentifier: PresidioDeidentifier,
    text: str | bytes,
    *,
    operator: Operator = "tag",
    session: SurrogateSession | None = None,
) -> dict[str, Any]:
    """Spans (type, start, end, score, recognizer) and the de-identified text, JSON-ready.

    Offsets refer to the input text. Raises DeidInputError for empty, binary, non-UTF-8 or
    oversized input.
    """
    result = deidentifier.deidentify(text, operator=operator, session=session)
    counts = Counter(span.entity for span in result.spans)
    return {
        "operator": operator,
        "spans": [span.to_dict() for span in result.spans],
        "counts": dict(sorted(counts.items())),
        "text": result.text,
        "provenance": result.provenance.model_dump(),
    }
