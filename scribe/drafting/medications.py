"""Medication facts: what the patient takes now, and what the clinician starts, changes or stops."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scribe.drafting.dialogue import Chunk, TranscriptAnalysis
from scribe.drafting.facts import Fact, Toolkit
from scribe.drafting.text import join_items

DOSE = re.compile(
    r"\b(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mg|mcg|g|ml|units?|iu|%)(?![\w])", re.IGNORECASE
)
_WINDOW = 60


@dataclass(frozen=True)
class MedicationMention:
    """A medication named in one transcript sentence, with dose, frequency and action."""

    chunk: Chunk
    generic: str
    surface: str
    dose: str
    frequency: str
    action: str | None

    @property
    def display(self) -> str:
        """The name as spoken; brands capitalised, generics lower case."""
        surface = self.surface.lower()
        return surface.capitalize() if surface != self.generic else surface

    def regimen(self) -> str:
        """ " 40 mg daily" style suffix (empty when nothing was said)."""
        parts = [part for part in (self.dose, self.frequency) if part]
        return (" " + " ".join(parts)) if parts else ""


class MedicationExtractor:
    """Finds medications with doses and frequencies, and the clinician's action on each."""

    def __init__(self, kit: Toolkit) -> None:
        self._kit = kit
        rules = kit.rules
        self._actions = [
            (action.action, kit.pattern(action.pattern), action.template)
            for action in rules.medication_actions
        ]
        self._templates = {action.action: action.template for action in rules.medication_actions}
        self._frequencies = [(kit.pattern(p), canonical) for p, canonical in rules.frequencies]
        self._current = kit.pattern(rules.current_medication_pattern)
        self._not_current = kit.pattern(rules.not_current_pattern)
        self._allergy = kit.pattern(rules.allergy_question_pattern)

    def extract(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Current medications (one HPI sentence) and plan actions (one sentence each)."""
        mentions = [
            m for chunk in analysis.chunks if not chunk.ignored for m in self.mentions(chunk)
        ]
        plan = [self._plan_fact(m) for m in mentions if m.action is not None]
        current = [
            m
            for m in mentions
            if m.action is None and self._is_current(m) and not self._about_allergy(m, analysis)
        ]
        return self._current_fact(current) + plan

    def mentions(self, chunk: Chunk) -> list[MedicationMention]:
        """Medication mentions of one sentence."""
        tidy = self._kit.cleaner.tidy(chunk.text)
        found = self._kit.drugs.find(tidy)
        result = []
        for position, match in enumerate(found):
            limit = found[position + 1].start if position + 1 < len(found) else len(tidy)
            tail = tidy[match.end : min(limit, match.end + _WINDOW)]
            action = self._action(tidy[: match.start]) if chunk.speaker == "clinician" else None
            result.append(
                MedicationMention(
                    chunk, match.name, match.text, _dose(tail), self._frequency(tail), action
                )
            )
        return result

    def _action(self, before: str) -> str | None:
        best: tuple[int, str] | None = None
        for action, pattern, _ in self._actions:
            for hit in pattern.finditer(before):
                if best is None or hit.end() > best[0]:
                    best = (hit.end(), action)
        if best is None or len(before) - best[0] > _WINDOW:
            return None
        return best[1]

    def _frequency(self, tail: str) -> str:
        """Every distinct frequency said, in spoken order ("every 6 hours as needed")."""
        found: list[tuple[int, int, str]] = []
        for pattern, canonical in self._frequencies:
            for match in pattern.finditer(tail):
                overlaps = any(
                    match.start() < end and start < match.end() for start, end, _ in found
                )
                if not overlaps:
                    found.append((match.start(), match.end(), match.expand(canonical)))
        return " ".join(dict.fromkeys(text for _, _, text in sorted(found)))

    def _about_allergy(self, mention: MedicationMention, analysis: TranscriptAnalysis) -> bool:
        """The drug is named in, or in answer to, talk about allergies."""
        index = mention.chunk.index
        nearby = analysis.chunks[max(0, index - 1) : index + 1]
        return any(self._allergy.search(chunk.text) for chunk in nearby)

    def _is_current(self, mention: MedicationMention) -> bool:
        chunk = mention.chunk
        if chunk.region == "plan" or chunk.is_question or self._not_current.search(chunk.text):
            return False
        return chunk.speaker == "patient" or bool(self._current.search(chunk.text))

    def _plan_fact(self, mention: MedicationMention) -> Fact:
        template = self._templates[mention.action or "continue"]
        regimen = mention.regimen()
        dose_to = f" to{regimen}" if mention.dose else regimen
        text = template.format(drug=mention.display, dose=regimen, dose_to=dose_to)
        key = f"med:{mention.action}:{mention.generic}:{mention.dose}"
        return Fact(
            "assessment_plan",
            text,
            (mention.chunk.evidence(),),
            "medication",
            mention.chunk.index,
            key=key,
        )

    def _current_fact(self, mentions: list[MedicationMention]) -> list[Fact]:
        if not mentions:
            return []
        best: dict[str, MedicationMention] = {}
        for mention in mentions:
            known = best.get(mention.generic)
            if known is None or (mention.dose and not known.dose):
                best[mention.generic] = mention
        items = [m.display + m.regimen() for m in best.values()]
        text = self._kit.rules.template("medications_current").format(items=join_items(items))
        evidence = tuple(dict.fromkeys(m.chunk.evidence() for m in best.values()))
        first = min(m.chunk.index for m in best.values())
        return [Fact("hpi", text, evidence, "medications", first, key="current-medications")]


def _dose(tail: str) -> str:
    match = DOSE.search(tail)
    if not match:
        return ""
    unit = match.group("unit").lower()
    unit = "units" if unit.startswith("unit") else unit
    return f"{match.group('value')} {unit}" if unit != "%" else f"{match.group('value')}%"
