"""Clinical fact extraction from a transcript and assembly of the facts into SOAP sections.

The pipeline: `DialogueAnalyser` (sentences, speaker, visit phase, medspaCy mentions, Q/A
negation) -> extractors (history, medications, objective, plan) -> `assemble_sections`.
Every sentence it writes is built from transcript text and carries extraction evidence.
"""

from __future__ import annotations

from collections import defaultdict

from scribe.contracts import SECTION_TITLES, NoteSection, NoteSentence
from scribe.drafting.clinical_nlp import ClinicalNlp
from scribe.drafting.dialogue import DialogueAnalyser, TranscriptAnalysis
from scribe.drafting.facts import Fact, Toolkit, dedupe
from scribe.drafting.history import HistoryExtractor
from scribe.drafting.lexicon import DrugLexicon, default_drug_lexicon
from scribe.drafting.medications import MedicationExtractor
from scribe.drafting.objective import ObjectiveExtractor
from scribe.drafting.plan import PlanExtractor, templated_orders
from scribe.drafting.rulebook import clinical_lexicon, grounded_rules
from scribe.drafting.text import SpokenCleaner

_HPI_ORDER = {"intro": 0, "statement": 1, "medications": 2, "allergy": 3}
_EXAM_ORDER = {"vital": 0, "exam": 1}


class FactExtractor:
    """Turns a transcript analysis into note facts."""

    def __init__(self, drugs: DrugLexicon | None = None) -> None:
        kit = Toolkit(
            grounded_rules(), clinical_lexicon(), drugs or default_drug_lexicon(), SpokenCleaner()
        )
        self.kit = kit
        self._history = HistoryExtractor(kit)
        self._medications = MedicationExtractor(kit)
        self._objective = ObjectiveExtractor(kit)
        self._plan = PlanExtractor(kit)

    def analyser(self, nlp: ClinicalNlp) -> DialogueAnalyser:
        """A dialogue analyser using these rules."""
        return DialogueAnalyser(nlp, self.kit.rules)

    def extract(self, analysis: TranscriptAnalysis) -> list[Fact]:
        """Every fact of the visit, in no particular order."""
        facts = self._history.extract(analysis)
        facts += self._objective.extract(analysis)
        medications = self._medications.extract(analysis)
        items = self._plan.items(analysis)
        used = templated_orders(medications + items)
        facts += dedupe(medications + items) + self._plan.problems(analysis)
        facts += self._plan.statements(analysis, used)
        return facts


def assemble_sections(facts: list[Fact]) -> tuple[NoteSection, ...]:
    """Facts in SOAP order; assessment-and-plan items grouped under the problem they follow."""
    by_section: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_section[fact.section].append(fact)
    ordered = {
        "chief_complaint": by_section["chief_complaint"][:1],
        "hpi": sorted(by_section["hpi"], key=lambda f: (_HPI_ORDER.get(f.kind, 1), f.order)),
        "ros": sorted(by_section["ros"], key=lambda f: f.order),
        "exam": sorted(by_section["exam"], key=lambda f: (_EXAM_ORDER.get(f.kind, 1), f.order)),
        "results": sorted(by_section["results"], key=lambda f: f.order),
        "assessment_plan": _plan_order(by_section["assessment_plan"]),
        "instructions": sorted(by_section["instructions"], key=lambda f: f.order),
    }
    return tuple(
        NoteSection(key=key, title=title, sentences=_sentences(key, ordered.get(key, [])))
        for key, title in SECTION_TITLES.items()
    )


def _plan_order(facts: list[Fact]) -> list[Fact]:
    """Problem headings, each followed by the items said after it; follow-up last."""
    problems = sorted((f for f in facts if f.kind == "problem"), key=lambda f: f.order)
    follow_up = [f for f in facts if f.kind == "follow_up"]
    items = sorted(
        (f for f in facts if f.kind not in {"problem", "follow_up"}), key=lambda f: f.order
    )
    leading = [f for f in items if not problems or f.order < problems[0].order]
    grouped: list[Fact] = list(leading)
    for position, problem in enumerate(problems):
        end = problems[position + 1].order if position + 1 < len(problems) else None
        grouped.append(problem)
        grouped += [f for f in items if f.order >= problem.order and (end is None or f.order < end)]
    return grouped + follow_up


def _sentences(key: str, facts: list[Fact]) -> tuple[NoteSentence, ...]:
    seen: set[str] = set()
    sentences: list[NoteSentence] = []
    for fact in facts:
        marker = fact.text.lower()
        if not fact.text or marker in seen or not fact.evidence:
            continue
        seen.add(marker)
        sentences.append(
            NoteSentence(id=f"{key}-{len(sentences) + 1}", text=fact.text, evidence=fact.evidence)
        )
    return tuple(sentences)
