"""Exceptions of the coding package."""

from __future__ import annotations


class CodingInputError(ValueError):
    """Input the coding engine cannot use; the message gives the human reason."""


class RulesError(ValueError):
    """A coding rules file is missing, malformed or fails validation."""
