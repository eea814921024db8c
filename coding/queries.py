"""Neutral clinician queries rendered from the templates in queries.json."""

from __future__ import annotations

from coding.errors import RulesError
from coding.rulebook import RuleSet

QUOTE_CHARS = 160


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """One-line quote of at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def render(rules: RuleSet, template: str, **values: str) -> str:
    """Fill a template and check that the result stays neutral (no banned terms).

    Raises RulesError when the template is missing or a filled-in value brings in a banned
    term (e.g. a quote that mentions payment), so a leading query never leaves the engine.
    """
    text = rules.queries.templates.get(template)
    if text is None:
        raise RulesError(f"query template {template!r} is not defined in queries.json")
    quoted = {key: clip(value) for key, value in values.items()}
    filled = text.format(**{key: quoted.get(key, "") for key in _fields(text)})
    if not is_neutral(rules, filled):
        return text.format(**{key: _safe(rules, quoted.get(key, "")) for key in _fields(text)})
    return filled


def is_neutral(rules: RuleSet, text: str) -> bool:
    """True when the text contains none of the banned terms."""
    lowered = text.lower()
    return not any(term.lower() in lowered for term in rules.queries.banned_terms)


def _safe(rules: RuleSet, value: str) -> str:
    return value if is_neutral(rules, value) else "(see evidence)"


def _fields(text: str) -> list[str]:
    import string

    return [field for _, field, _, _ in string.Formatter().parse(text) if field]
