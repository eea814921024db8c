"""Everything the engine knows about one encounter while it builds suggestions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from coding import hcc
from coding.combine import CodedItem
from coding.documents import Layout
from coding.evidence import Pending
from coding.findings import Finding
from coding.labs import LabHit
from coding.nlp import Analysis, Mention
from coding.rulebook import RuleSet
from scribe.contracts import PatientContext


@dataclass
class Side:
    """One analysed text of the encounter (the note or the transcript)."""

    layout: Layout
    analysis: Analysis
    findings: list[Finding]

    def asserted_mentions(self, kind: str) -> list[Mention]:
        """Asserted mentions of one kind (conditions, medications, signals)."""
        return [m for m in self.analysis.mentions if m.kind == kind and m.asserted]

    def live_findings(self) -> list[Finding]:
        """Findings that are current or history (not excluded)."""
        return [f for f in self.findings if f.status != "excluded"]


@dataclass
class Encounter:
    """The inputs of one encounter and the suggestions built so far."""

    rules: RuleSet
    date_of_service: date
    payment_year: int
    patient: PatientContext | None
    note: Side | None
    transcript: Side | None
    dm: str
    lab_hits: dict[str, LabHit]
    items: list[CodedItem] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def sides(self) -> list[Side]:
        """The note and the transcript, whichever are present."""
        return [side for side in (self.note, self.transcript) if side is not None]

    def documented_families(self) -> set[str]:
        """Families the note mentions as present (with or without MEAT)."""
        if self.note is None:
            return set()
        return {f.family for f in self.note.live_findings()}

    def supported_families(self) -> set[str]:
        """Families with at least one supported code."""
        return {item.family for item in self.items}

    def negated_in_note(self, family: str) -> list[Finding]:
        """Note findings of a family that are negated and never asserted elsewhere in the note."""
        if self.note is None or family in self.documented_families():
            return []
        return [
            f for f in self.note.findings if f.family == family and "negated" in f.mention.flags
        ]

    def pending_for(self, family: str) -> Pending | None:
        """The prompt already built for a family, if any."""
        return next((p for p in self.pending if p.family == family), None)

    def family_of_code(self, code: str) -> str:
        """The condition family of an ICD-10-CM code (or 'code:<category>' when none)."""
        for family in self.rules.conditions.families:
            if any(re.search(pattern, code) for pattern in family.code_patterns):
                return family.name
        return f"code:{code[:3]}"

    def in_scope(self, codes: list[str | None], scope: str) -> bool:
        """True when any code maps to a CMS-HCC (V28 or V24), or when the scope is 'all'."""
        if scope == "all":
            return True
        return any(code and (self.hccs(code, "V28") or self.hccs(code, "V24")) for code in codes)

    def hccs(self, code: str, model: str) -> tuple[str, ...]:
        """HCCs of one code under a model for the encounter's payment year."""
        return hcc.hccs_for(code, model, self.payment_year)[0]

    def covered(self, code: str) -> bool:
        """True when the supported codes already cover `code` (same family, same or higher HCC)."""
        family = self.family_of_code(code)
        supported_codes = [item.code for item in self.items]
        if code in supported_codes:
            return True
        if family not in self.supported_families():
            return False
        wanted = set(self.hccs(code, "V28"))
        if not wanted:
            return True
        have: set[str] = set()
        for other in supported_codes:
            have |= set(self.hccs(other, "V28"))
        return all(cc in have or _dominated(cc, have, self.payment_year) for cc in wanted)


def _dominated(cc: str, have: set[str], payment_year: int) -> bool:
    """True when a higher HCC in the V28 hierarchy is present (it drops `cc`)."""
    tables = hcc.tables(payment_year)
    name = hcc.MODELS["V28"]
    return any(cc in tables.hierarchies.get((parent, name), set()) for parent in have)
