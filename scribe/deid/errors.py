"""Errors raised by the de-identification package."""

from __future__ import annotations


class DeidInputError(ValueError):
    """The text given to de-identify cannot be processed; the message says why in plain words."""


class DeidConfigError(ValueError):
    """A de-identification configuration or vocabulary file is missing, malformed or invalid."""
