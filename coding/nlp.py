"""Clinical NLP: spaCy (en_core_web_sm tokenizer + sentence recogniser) with medspaCy target
matching, ConText and the sectionizer, all driven by the packaged rules.

The pipeline is built once per `ClinicalNlp` instance (never at import). Only the tokenizer and
the statistical sentence recogniser of en_core_web_sm run: its NER is excluded (it swallows
targets such as "type 2 diabetes") and the parser is not needed, which keeps a 1,000-word note
at a few milliseconds of spaCy time.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from coding.rulebook import RuleSet, load_rules
from coding.sections import SectionFinder, section_at
from coding.targets import RULE_EXTENSION, TargetComponent, TargetIndex, TargetSpec

LOGGER = logging.getLogger(__name__)
MentionKind = Literal["condition", "medication", "signal", "block"]
FLAG_BY_CATEGORY = {
    "NEGATED_EXISTENCE": "negated",
    "POSSIBLE_EXISTENCE": "uncertain",
    "HISTORICAL": "historical",
    "HYPOTHETICAL": "hypothetical",
    "FAMILY": "family",
}
NON_ASSERTED = frozenset({"negated", "uncertain", "hypothetical", "family", "question"})
_EXCLUDED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]


@dataclass(frozen=True)
class Mention:
    """A rule match in an analysed text, with its ConText flags and section."""

    kind: MentionKind
    rule_id: str
    family: str
    start: int
    end: int
    text: str
    sentence: int
    section: str
    flags: frozenset[str]
    modifiers: frozenset[str] = frozenset()

    @property
    def asserted(self) -> bool:
        """True when no ConText flag makes the mention non-factual for the patient."""
        return not (self.flags & NON_ASSERTED)


@dataclass(frozen=True)
class Analysis:
    """One analysed text: sentence spans, each sentence's section, and the mentions."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    sentence_sections: tuple[str, ...]
    mentions: tuple[Mention, ...]


class ClinicalNlp:
    """The spaCy + medspaCy pipeline of the coding engine."""

    def __init__(
        self,
        model_path: Path,
        *,
        rules: RuleSet | None = None,
        model_name: str = "en-core-web-sm",
        model_sha256: str = "",
    ) -> None:
        """Load en_core_web_sm from `model_path` and add the rule-driven components."""
        self.rules = rules or load_rules()
        self.model_name = model_name
        self.model_sha256 = model_sha256
        self._labels: dict[str, tuple[MentionKind, str]] = {}
        self._context_rule_of: dict[str, str] = {}
        self._nlp = self._build(model_path)

    @classmethod
    def from_catalogue(
        cls,
        spec: str = "bundled:en-core-web-sm",
        *,
        cache_dir: Path = Path("var/model-cache"),
        rules: RuleSet | None = None,
    ) -> ClinicalNlp:
        """Resolve and verify the spaCy model through the model catalogue, then build."""
        from models import resolve

        resolved = resolve(spec, setting="SCRIBE_SPACY_MODEL", cache_dir=cache_dir)
        return cls(
            resolved.path, rules=rules, model_name=resolved.name, model_sha256=resolved.sha256
        )

    def _build(self, model_path: Path) -> Any:
        _quiet_medspacy_logging()
        import spacy
        from spacy.language import Language

        if not Language.has_factory("coding_line_breaks"):
            Language.component("coding_line_breaks", func=_line_breaks)
        nlp = spacy.load(model_path, exclude=_EXCLUDED_PIPES)
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        nlp.add_pipe("coding_line_breaks", before="senter")
        self._add_targets(nlp)
        self._add_context(nlp)
        self._sections = SectionFinder(self.rules.sections)
        LOGGER.info("clinical NLP ready: pipes=%s rules=%s", nlp.pipe_names, self.rules.version)
        return nlp

    def _add_targets(self, nlp: Any) -> None:
        from spacy.language import Language
        from spacy.tokens import Span

        if not Span.has_extension(RULE_EXTENSION):
            Span.set_extension(RULE_EXTENSION, default=None)
        specs = []
        for cond in self.rules.conditions.conditions:
            kind: MentionKind = "condition" if cond.code else "block"
            specs.append(TargetSpec(cond.rule_id, cond.family.upper(), tuple(cond.patterns)))
            self._labels[cond.rule_id] = (kind, cond.family)
        for drug in self.rules.medications.drugs:
            specs.append(TargetSpec(drug.rule_id, "MEDICATION", tuple(drug.patterns)))
            self._labels[drug.rule_id] = ("medication", "")
        for spec in self.rules.specificity.rules:
            if spec.signals:
                specs.append(TargetSpec(spec.rule_id, "SIGNAL", tuple(spec.signals)))
                self._labels[spec.rule_id] = ("signal", spec.family)
        component = TargetComponent(TargetIndex(specs))
        name = f"coding_targets_{id(component)}"
        Language.component(name, func=component)
        nlp.add_pipe(name, name="coding_targets")

    def _add_context(self, nlp: Any) -> None:
        from medspacy.context import ConTextRule

        context = nlp.add_pipe(
            "medspacy_context",
            config={"rules": None, "terminating_types": self.rules.context.terminating_types},
        )
        converted = []
        for rule in self.rules.context.rules:
            allowed = {family.upper() for family in rule.allowed_families} or None
            triggers: list[tuple[str, str | None]] = [(word, None) for word in rule.literals]
            if rule.pattern:
                triggers = [(rule.rule_id, rule.pattern)]
            for literal, pattern in triggers:
                self._context_rule_of[literal.lower()] = rule.rule_id
                converted.append(
                    ConTextRule(
                        literal,
                        rule.category,
                        pattern=pattern,
                        direction=rule.direction,
                        max_scope=rule.max_scope,
                        allowed_types=allowed,
                    )
                )
        context.add(converted)

    def analyze(self, text: str) -> Analysis:
        """Analyse one text."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Iterable[str]) -> list[Analysis]:
        """Analyse several texts in one spaCy batch."""
        with warnings.catch_warnings():
            # ConText rules here are phrases and regexes; its empty token Matcher warns (W036).
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            return [self._to_analysis(doc) for doc in self._nlp.pipe(texts)]

    def _to_analysis(self, doc: Any) -> Analysis:
        text = doc.text
        sentences = [(sent.start_char, sent.end_char) for sent in doc.sents]
        headers = self._sections.headers(text)
        sections = [section_at(headers, start) for start, _ in sentences]
        starts = [start for start, _ in sentences]
        mentions = [self._mention(ent, starts, text, headers) for ent in doc.ents]
        return Analysis(text, tuple(sentences), tuple(sections), tuple(mentions))

    def _mention(
        self, ent: Any, starts: list[int], text: str, headers: list[tuple[int, str]]
    ) -> Mention:
        rule_id = getattr(ent._, RULE_EXTENSION)
        kind, family = self._labels[rule_id]
        index = _sentence_index(starts, ent.start_char)
        modifiers = ent._.modifiers
        flags = {FLAG_BY_CATEGORY[m.category] for m in modifiers if m.category in FLAG_BY_CATEGORY}
        rule_ids = {self._context_rule_of.get(m.rule.literal.lower(), "") for m in modifiers}
        if _is_question(text, ent.end_char, index, starts) and not self._presupposed(
            text[starts[index] : ent.start_char]
        ):
            flags.add("question")
        if self._marked_uncertain(text[max(0, ent.start_char - 12) : ent.start_char]):
            flags.add("uncertain")
        section = section_at(headers, ent.start_char)
        if section in self.rules.sections.history_sections:
            flags.add("historical")
        if section in self.rules.sections.family_sections:
            flags.add("family")
        return Mention(
            kind,
            rule_id,
            family,
            ent.start_char,
            ent.end_char,
            ent.text,
            index,
            section,
            frozenset(flags),
            frozenset(rule_ids - {""}),
        )

    def _presupposed(self, before: str) -> bool:
        """True when a question names the condition as the patient's own ("your AFib")."""
        pattern = self.rules.context.presupposing_question
        return bool(pattern and re.search(pattern, before, re.IGNORECASE))

    def _marked_uncertain(self, before: str) -> bool:
        """True for a leading "?" ("? CHF"), which the sentence splitter may cut off."""
        pattern = self.rules.context.uncertain_prefix
        return bool(pattern and re.search(pattern, before))


def _line_breaks(doc: Any) -> Any:
    """Start a sentence after every line break so list items and headers stand alone."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            token.is_sent_start = True
    return doc


def _sentence_index(starts: list[int], char: int) -> int:
    index = 0
    for i, start in enumerate(starts):
        if start > char:
            break
        index = i
    return index


def _is_question(text: str, end: int, index: int, starts: list[int]) -> bool:
    """True when the mention's sentence ends with a question mark (spoken questions)."""
    stop = starts[index + 1] if index + 1 < len(starts) else len(text)
    tail = text[end:stop].rstrip()
    return tail.endswith("?") and "." not in tail


def _quiet_medspacy_logging() -> None:
    """PyRuSH logs through loguru at DEBUG for every document; keep it at WARNING."""
    try:
        import sys

        from loguru import logger
    except ImportError:
        return
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
