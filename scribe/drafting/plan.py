"""Assessment and plan facts: problems addressed, orders, referrals, follow-up, instructions."""

from __future__ import annotations

import re

from scribe.drafting.dialogue import Chunk, TranscriptAnalysis
from scribe.drafting.facts import Fact, Toolkit, chunk_fact, dedupe
from scribe.drafting.objective import PROCEDURAL
from scribe.drafting.text import apply_rewrites, as_sentence, compile_pairs

_TEMPLATED = {"medication", "order", "referral", "follow_up", "instruction"}
_QUESTIONS = re.compile(r"\b(?:any questions|does that sound|sound good|okay\?)", re.IGNORECASE)


class PlanExtractor:
    """Builds assessment-and-plan and patient-instruction facts from the clinician's plan."""

    def __init__(self, kit: Toolkit) -> None:
        self._kit = kit
        rules = kit.rules
        tests = "|".join(
            [*kit.lexicon.result_terms, *(t for lab in kit.lexicon.labs for t in lab.terms)]
        )
        self._order = kit.pattern(rules.order_pattern.replace("{tests}", tests))
        self._referral = kit.pattern(rules.referral_pattern)
        self._follow_up = kit.pattern(rules.follow_up_pattern)
        self._instructions = [kit.pattern(pattern) for pattern in rules.instruction_patterns]
        self._statement = kit.pattern(rules.plan_statement_pattern)
        self._problem_cue = kit.pattern(rules.problem_cue_pattern)
        self._plan_cue = kit.pattern("|".join(rules.region_cues.get("plan", ["(?!)"])))
        self._item_tidy = compile_pairs(
            [(r"^(?:your|the|a|an|some|another)\s+", ""), (r"\s+(?:for you|today|now)$", "")]
        )

    def plan_chunks(self, analysis: TranscriptAnalysis) -> list[Chunk]:
        """The clinician's sentences in the plan part of the visit."""
        return [
            chunk
            for chunk in analysis.chunks
            if chunk.region == "plan" and chunk.speaker == "clinician" and not chunk.ignored
        ]

    def problems(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """One heading per condition the clinician addresses in the plan, in order."""
        facts: list[Fact] = []
        headed: set[str] = set()
        previous_segment = None
        for chunk in self.plan_chunks(analysis):
            first_of_turn = chunk.segment_id != previous_segment
            previous_segment = chunk.segment_id
            cued = bool(self._problem_cue.search(chunk.text)) or first_of_turn or not facts
            for mention in chunk.mentions:
                if not mention.asserted or mention.name in headed:
                    continue
                if mention.category == "symptom" and not self._problem_cue.search(chunk.text):
                    continue
                if cued:
                    headed.add(mention.name)
                    label = self._kit.labels.get(mention.name, mention.name)
                    text = as_sentence(self._kit.rules.template("problem").format(label=label))
                    fact = chunk_fact("assessment_plan", text, chunk, "problem")
                    facts.append(
                        Fact(
                            fact.section,
                            fact.text,
                            fact.evidence,
                            fact.kind,
                            fact.order,
                            key=f"problem:{mention.name}",
                            problem=mention.name,
                        )
                    )
        return facts

    def items(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Orders, referrals, follow-up and instructions from the plan (duplicates kept)."""
        facts: list[Fact] = []
        for chunk in self.plan_chunks(analysis):
            if chunk.is_question:
                continue
            tidy = self._kit.cleaner.tidy(chunk.text).lower()
            facts += self._orders(tidy, chunk) + self._referrals(tidy, chunk)
            facts += self._follow_ups(tidy, chunk) + self._instructions_of(tidy, chunk)
        return facts

    def statements(self, analysis: TranscriptAnalysis, used: set[int]) -> list[Fact]:
        """Plan reasoning the clinician states, for sentences no templated fact came from."""
        facts = []
        for chunk in self.plan_chunks(analysis):
            if chunk.index in used or chunk.is_question or _QUESTIONS.search(chunk.text):
                continue
            if PROCEDURAL.search(chunk.text) or self._plan_cue.search(chunk.text):
                continue
            if not (chunk.mentions or self._statement.search(chunk.text)):
                continue
            sentence = self._kit.clinician_sentence(chunk.text)
            if self._kit.fits(sentence):
                facts.append(chunk_fact("assessment_plan", sentence, chunk, "plan_statement"))
        return dedupe(facts)[: self._kit.rules.limit("plan_sentences")]

    def _orders(self, tidy: str, chunk: Chunk) -> list[Fact]:
        facts = []
        for match in self._order.finditer(tidy):
            item = apply_rewrites(match.group("item"), self._item_tidy)
            text = self._kit.rules.template("order").format(item=item)
            facts.append(chunk_fact("assessment_plan", text, chunk, "order", key=f"order:{item}"))
        return facts

    def _referrals(self, tidy: str, chunk: Chunk) -> list[Fact]:
        match = self._referral.search(tidy)
        if not match:
            return []
        item = apply_rewrites(match.group("item"), self._item_tidy)
        text = self._kit.rules.template("referral").format(item=item)
        return [chunk_fact("assessment_plan", text, chunk, "referral", key=f"referral:{item}")]

    def _follow_ups(self, tidy: str, chunk: Chunk) -> list[Fact]:
        match = self._follow_up.search(tidy)
        if not match:
            return []
        text = self._kit.rules.template("follow_up").format(when=match.group("when"))
        return [chunk_fact("assessment_plan", text, chunk, "follow_up", key="follow_up")]

    def _instructions_of(self, tidy: str, chunk: Chunk) -> list[Fact]:
        for pattern in self._instructions:
            match = pattern.search(tidy)
            if match:
                action = self._kit.clinician_text(match.group("x"))
                action = re.sub(r"[,.?!]+\s*(?:okay|all right|right)?$", "", action).strip()
                text = as_sentence(self._kit.rules.template("instruction").format(x=action))
                if self._kit.fits(text):
                    return [chunk_fact("instructions", text, chunk, "instruction")]
        return []


def templated_orders(facts: list[Fact]) -> set[int]:
    """Transcript sentences that already produced a templated plan fact."""
    return {fact.order for fact in facts if fact.kind in _TEMPLATED}
