"""Operators that turn detected spans into de-identified text (applied with presidio-anonymizer).

- ``tag``: each identifier becomes its type tag, e.g. ``[NAME]``, ``[DATE]``.
- ``redact``: each identifier becomes ``[REDACTED]`` (its type is not shown either).
- ``surrogate``: each identifier becomes an invented value of the same kind, consistent within a
  `SurrogateSession`; dates move by the session's shift, so intervals are kept.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from scribe.deid.spans import PhiSpan
from scribe.deid.surrogate_factory import SurrogateFactory
from scribe.deid.surrogates import SurrogateSession

Operator = Literal["tag", "redact", "surrogate"]
OPERATORS: tuple[Operator, ...] = ("tag", "redact", "surrogate")
REDACTED = "[REDACTED]"


class OperatorApplier:
    """Applies one of the operators to a text and its spans."""

    def __init__(self, factory: SurrogateFactory, tags: dict[str, str]) -> None:
        self._factory = factory
        self._tags = tags
        self._engine = AnonymizerEngine()

    def apply(
        self,
        text: str,
        spans: list[PhiSpan],
        *,
        operator: Operator,
        session: SurrogateSession | None,
    ) -> str:
        """The text with every span replaced according to `operator`."""
        if operator not in OPERATORS:
            raise ValueError(f"unknown operator {operator!r}; use one of {', '.join(OPERATORS)}")
        if not spans:
            return text
        if operator == "surrogate" and session is None:
            raise ValueError("the surrogate operator needs a SurrogateSession")
        results = [RecognizerResult(s.entity, s.start, s.end, s.score) for s in spans]
        configs = {
            entity: self._config(entity, operator, session) for entity in {s.entity for s in spans}
        }
        return self._engine.anonymize(
            text, results, operators=configs, merge_entities_with_spaces=False
        ).text

    def _config(
        self, entity: str, operator: Operator, session: SurrogateSession | None
    ) -> OperatorConfig:
        if operator == "tag":
            return OperatorConfig("replace", {"new_value": f"[{self._tags.get(entity, entity)}]"})
        if operator == "redact":
            return OperatorConfig("replace", {"new_value": REDACTED})
        assert session is not None
        return OperatorConfig(
            "custom", {"lambda": partial(self._factory.surrogate, entity, session=session)}
        )
