"""Checks on text before it is analysed: type, encoding, binary content and size."""

from __future__ import annotations

from scribe.deid.errors import DeidInputError

_CONTROL_OK = {"\n", "\r", "\t", "\f", "\v"}


def ensure_text(value: str | bytes, *, max_chars: int, allow_empty: bool = False) -> str:
    """Return `value` as text, or raise DeidInputError with a plain reason.

    Bytes must be UTF-8. Text with NUL bytes or many control characters is treated as binary.
    """
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DeidInputError(
                f"the input is not UTF-8 text (invalid byte at position {exc.start}); "
                "convert it to UTF-8 first"
            ) from exc
    if not isinstance(value, str):
        raise DeidInputError(f"expected text, got {type(value).__name__}")
    if len(value) > max_chars:
        raise DeidInputError(
            f"the text has {len(value):,} characters; the limit is {max_chars:,} per call "
            "(split it into smaller parts)"
        )
    if not value.strip():
        if allow_empty:
            return value
        raise DeidInputError("nothing to de-identify: the text is empty")
    if "\x00" in value or _control_share(value) > 0.05:
        raise DeidInputError("the input looks like binary data, not text")
    return value


def _control_share(text: str) -> float:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ch < " " and ch not in _CONTROL_OK)
    return controls / len(sample)
