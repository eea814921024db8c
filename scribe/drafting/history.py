"""Subjective facts: chief complaint, introduction, history of present illness, ROS, allergies."""

from __future__ import annotations

import re
from collections import defaultdict

from scribe.contracts import Evidence
from scribe.drafting.dialogue import Chunk, Finding, TranscriptAnalysis
from scribe.drafting.facts import Fact, Toolkit, chunk_fact, dedupe
from scribe.drafting.text import apply_rewrites, as_sentence, compile_pairs, join_items


class HistoryExtractor:
    """Builds chief complaint, HPI and review-of-systems facts."""

    def __init__(self, kit: Toolkit) -> None:
        self._kit = kit
        rules = kit.rules
        self._intro = kit.pattern(rules.intro_pattern)
        self._intro_rewrites = compile_pairs(rules.intro_rewrites)
        self._cc = [kit.pattern(pattern) for pattern in rules.chief_complaint_patterns]
        self._cc_trim = compile_pairs([(pattern, "") for pattern in rules.chief_complaint_trim])
        self._hpi = kit.pattern(rules.hpi_pattern)
        self._allergy = [kit.pattern(pattern) for pattern in rules.allergy_patterns]
        self._allergen = kit.pattern(r"\b(?:" + "|".join(rules.allergens) + r")\b")
        self._no_allergy = kit.pattern(rules.no_allergy_pattern)
        self._allergy_question = kit.pattern(rules.allergy_question_pattern)
        self._negative = kit.pattern(rules.negative_answer)

    def extract(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """All subjective facts of the visit."""
        facts = self.chief_complaint(analysis) + self.introduction(analysis)
        facts += self.statements(analysis) + self.allergies(analysis)
        facts += self.review_of_systems(analysis)
        return facts

    def chief_complaint(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """The reason for the visit, as stated ("presents for ..."), else the first complaint."""
        for chunk in _usable(analysis.chunks):
            tidy = self._kit.cleaner.tidy(chunk.text)
            for pattern in self._cc:
                match = pattern.search(tidy)
                if match:
                    reason = apply_rewrites(match.group("cc"), self._cc_trim).strip(" ,")
                    if 1 <= len(reason.split()) <= 10:
                        return [self._cc_fact(reason, chunk)]
        for finding in analysis.findings:
            if finding.present and finding.source == "patient-statement":
                chunk = analysis.chunks[finding.chunk_index]
                return [self._cc_fact(self._kit.labels.get(finding.name, finding.name), chunk)]
        return []

    def _cc_fact(self, reason: str, chunk: Chunk) -> Fact:
        text = self._kit.rules.template("chief_complaint").format(cc=reason)
        return chunk_fact("chief_complaint", as_sentence(text), chunk, "chief_complaint")

    def introduction(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """The clinician's one-line summary ("58-year-old male with ... who presents for ...")."""
        for chunk in _usable(analysis.chunks):
            if chunk.speaker == "clinician" and self._intro.search(chunk.text):
                text = apply_rewrites(self._kit.cleaner.tidy(chunk.text), self._intro_rewrites)
                if text.lower().startswith("the patient"):
                    sentence = as_sentence(self._kit.clinician_text(text))
                    return [chunk_fact("hpi", sentence, chunk, "intro")]
        return []

    def statements(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Clinically relevant things the patient said during the history, in the third person."""
        facts = []
        for chunk in _usable(analysis.chunks):
            if chunk.speaker != "patient" or chunk.region == "plan" or chunk.is_question:
                continue
            if not (
                chunk.mentions or self._hpi.search(chunk.text) or self._kit.drugs.find(chunk.text)
            ):
                continue
            sentence = self._kit.patient_sentence(chunk.text)
            if (
                self._kit.fits(sentence)
                and self._kit.words(self._kit.cleaner.tidy(chunk.text)) >= 3
            ):
                facts.append(chunk_fact("hpi", sentence, chunk, "statement"))
        return dedupe(facts)[: self._kit.rules.limit("hpi_statements")]

    def allergies(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Drug allergies stated, or none when the patient denies any."""
        facts: list[Fact] = []
        chunks = list(_usable(analysis.chunks))
        for position, chunk in enumerate(chunks):
            tidy = self._kit.cleaner.tidy(chunk.text).lower()
            if self._no_allergy.search(tidy) or self._denied_allergy(chunks, position):
                text = self._kit.rules.template("no_allergies")
                facts.append(
                    Fact("hpi", text, (chunk.evidence(),), "allergy", chunk.index, key="nkda")
                )
                continue
            for item in self._allergy_items(tidy):
                text = self._kit.rules.template("allergies").format(items=item)
                facts.append(chunk_fact("hpi", text, chunk, "allergy", key=f"allergy:{item}"))
        return dedupe(facts)

    def _denied_allergy(self, chunks: list[Chunk], position: int) -> bool:
        chunk = chunks[position]
        if chunk.speaker != "patient" or position == 0 or not self._negative.search(chunk.text):
            return False
        previous = chunks[position - 1]
        if self._allergy_items(f"allergic to {chunk.text}") or self._kit.drugs.find(chunk.text):
            return False  # "nope, just penicillin"
        return previous.speaker == "clinician" and bool(
            self._allergy_question.search(previous.text)
        )

    def _allergy_items(self, tidy: str) -> list[str]:
        items = []
        for pattern in self._allergy:
            for match in pattern.finditer(tidy):
                item = match.group("item").strip()
                if self._kit.drugs.find(item) or self._allergen.search(item):
                    items.append(item)
        return items

    def review_of_systems(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """One line per body system: symptoms endorsed and denied."""
        by_system: dict[str, dict[bool, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for name, finding in _symptom_verdicts(analysis).items():
            system = self._kit.systems.get(name)
            if system:
                by_system[system][finding.present].append(finding)
        order = list(dict.fromkeys(symptom.system for symptom in self._kit.lexicon.symptoms))
        facts = []
        for system in sorted(by_system, key=order.index):
            facts.append(self._ros_line(system, by_system[system]))
        return facts

    def _ros_line(self, system: str, verdicts: dict[bool, list[Finding]]) -> Fact:
        templates = self._kit.rules.templates
        parts = []
        evidence: list[Evidence] = []
        for present, key in ((True, "ros_endorses"), (False, "ros_denies")):
            findings = sorted(verdicts.get(present, []), key=lambda f: f.chunk_index)
            if findings:
                labels = [self._kit.labels.get(f.name, f.name) for f in findings]
                parts.append(templates[key].format(items=join_items(labels)))
                evidence.extend(e for f in findings for e in f.evidence)
        text = templates["ros_line"].format(system=system, parts=". ".join(parts))
        first = min(f.chunk_index for group in verdicts.values() for f in group)
        return Fact("ros", text, _unique_evidence(evidence), "ros", first, key=f"ros:{system}")


def _symptom_verdicts(analysis: TranscriptAnalysis) -> dict[str, Finding]:
    """One finding per symptom: the patient's own word first, then answers, then clinician."""
    rank = {"patient-statement": 0, "answer": 1, "clinician-statement": 2}
    best: dict[str, Finding] = {}
    for finding in analysis.findings:
        if finding.category != "symptom" or finding.source not in rank:
            continue
        chunk = analysis.chunks[finding.chunk_index]
        if finding.source == "clinician-statement" and chunk.region != "history":
            continue
        current = best.get(finding.name)
        key = (rank[finding.source], not finding.present)
        if current is None or key < (rank[current.source], not current.present):
            best[finding.name] = finding
    return best


def _unique_evidence(evidence: list[Evidence], limit: int = 6) -> tuple[Evidence, ...]:
    seen: set[tuple[int, str]] = set()
    kept = []
    for item in evidence:
        marker = (item.segment_id, item.quote)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return tuple(kept[:limit])


def _usable(chunks: tuple[Chunk, ...]) -> list[Chunk]:
    return [chunk for chunk in chunks if not chunk.ignored and re.search(r"\w", chunk.text)]
