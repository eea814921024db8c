"""De-identified export of one encounter's texts (transcript segments, notes) with one session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scribe.contracts import Provenance
from scribe.deid.engine import PresidioDeidentifier
from scribe.deid.operators import Operator
from scribe.deid.spans import PhiSpan
from scribe.deid.surrogates import MappingEntry, SurrogateSession


@dataclass(frozen=True)
class ExportedText:
    """One de-identified text of the export, under the caller's key."""

    key: str
    text: str
    spans: tuple[PhiSpan, ...]


@dataclass(frozen=True)
class EncounterExport:
    """The de-identified texts and, for surrogates, the server-side mapping."""

    texts: tuple[ExportedText, ...]
    operator: str
    session: SurrogateSession | None
    provenance: Provenance

    @property
    def mapping(self) -> list[MappingEntry]:
        """Surrogate -> original rows (PHI: store server-side only, never export them)."""
        return self.session.mapping() if self.session else []

    def public_dict(self) -> dict[str, Any]:
        """What may leave the server: texts and counts, no mapping and no original text."""
        return {
            "operator": self.operator,
            "rules_version": self.provenance.rules_version,
            "texts": [
                {"key": item.key, "text": item.text, "identifiers_replaced": len(item.spans)}
                for item in self.texts
            ],
        }


def export_encounter(
    deidentifier: PresidioDeidentifier,
    texts: Mapping[str, str] | Sequence[str],
    *,
    operator: Operator = "surrogate",
    session: SurrogateSession | None = None,
) -> EncounterExport:
    """De-identify all texts of one encounter with one session (consistent surrogates).

    `texts` is a mapping of keys (e.g. "transcript", "note") to texts, or a sequence (keys are
    the positions). Empty texts are passed through unchanged.
    """
    items = (
        list(texts.items())
        if isinstance(texts, Mapping)
        else [(str(i), text) for i, text in enumerate(texts)]
    )
    if operator == "surrogate" and session is None:
        session = SurrogateSession()
    found = deidentifier.analyze_many([text for _, text in items])
    exported = []
    for (key, text), spans in zip(items, found, strict=True):
        result = deidentifier.apply(text, spans, operator=operator, session=session)
        exported.append(ExportedText(str(key), result.text, result.spans))
    provenance = deidentifier.provenance.model_copy(update={"parameters": {"operator": operator}})
    return EncounterExport(tuple(exported), operator, session, provenance)
