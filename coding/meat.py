"""MEAT (Monitor, Evaluate, Assess, Treat) elements for a condition documented in the note.

Scope of a mention: its sentence and the sentences after it in the same section, until a
sentence names a condition of another family, starts a new list item, or follows a blank line.
Scope exists only in the sections listed in meat.json (not in past history, family history,
medication or problem lists). Words of mentions themselves never count as cues; a drug name
counts as Treat only for the families the medication lexicon links it to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coding.nlp import Analysis, Mention
from coding.rulebook import RuleSet

MAX_ELEMENTS = 8
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Cue:
    """One MEAT element found in the analysed text (offsets in the analysed text)."""

    kind: str
    cue: str
    start: int
    end: int


class MeatFinder:
    """Compiled MEAT cue lexicon."""

    def __init__(self, rules: RuleSet) -> None:
        """Compile the cue patterns and the drug-to-family links of a rule set once."""
        self._sections = set(rules.meat.meat_sections)
        self._stops = [re.compile(p) for p in rules.meat.scope_stop_patterns]
        self._cues = [
            (cue.kind, re.compile(pattern, re.IGNORECASE))
            for cue in rules.meat.cues
            for pattern in cue.patterns
        ]
        self._drug_families = {drug.rule_id: set(drug.families) for drug in rules.medications.drugs}
        self._listing_rules = set(rules.meat.listing_context_rules)
        self._listing_kinds = set(rules.meat.listing_cue_kinds)

    def scope(self, mention: Mention, analysis: Analysis) -> list[int]:
        """Indices of the sentences in the MEAT scope of a note mention."""
        if mention.section not in self._sections:
            return []
        scope = [mention.sentence]
        if self._listed(mention):
            return scope
        for index in range(mention.sentence + 1, len(analysis.sentences)):
            if self._stops_at(index, mention, analysis):
                break
            scope.append(index)
        return scope

    def _listed(self, mention: Mention) -> bool:
        """True when the mention sits in a history listing ('history significant for X, Y')."""
        return bool(mention.modifiers & self._listing_rules)

    def _stops_at(self, index: int, mention: Mention, analysis: Analysis) -> bool:
        start, end = analysis.sentences[index]
        previous_start = analysis.sentences[index - 1][0]
        if analysis.sentence_sections[index] != mention.section:
            return True
        if _BLANK_LINE.search(analysis.text[previous_start:start]):
            return True
        if any(p.search(analysis.text[start:end]) for p in self._stops):
            return True
        return any(
            other.sentence == index
            and other.kind in ("condition", "block")
            and other.family != mention.family
            for other in analysis.mentions
        )

    def cues(self, mention: Mention, analysis: Analysis) -> list[Cue]:
        """MEAT cues in the scope of a mention, at most one per kind and sentence."""
        found: list[Cue] = []
        blocked = [(m.start, m.end) for m in analysis.mentions]
        for index in self.scope(mention, analysis):
            start, end = analysis.sentences[index]
            seen: set[str] = set()
            for cue in self._sentence_cues(start, end, analysis, blocked, mention):
                if self._listed(mention) and cue.kind not in self._listing_kinds:
                    continue
                if cue.kind not in seen:
                    seen.add(cue.kind)
                    found.append(cue)
        return found[:MAX_ELEMENTS]

    def _sentence_cues(
        self,
        start: int,
        end: int,
        analysis: Analysis,
        blocked: list[tuple[int, int]],
        mention: Mention,
    ) -> list[Cue]:
        cues = []
        for kind, pattern in self._cues:
            for match in pattern.finditer(analysis.text, start, end):
                if not any(b0 < match.end() and match.start() < b1 for b0, b1 in blocked):
                    cues.append(Cue(kind, match.group(0), match.start(), match.end()))
        for other in analysis.mentions:
            linked = mention.family in self._drug_families.get(other.rule_id, set())
            if (
                other.kind == "medication"
                and start <= other.start < end
                and linked
                and other.asserted
            ):
                cues.append(Cue("T", other.text, other.start, other.end))
        return sorted(cues, key=lambda cue: (cue.start, "MEAT".index(cue.kind)))
