"""Facts extracted from a transcript, and the shared toolkit the extractors use to write them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scribe.contracts import Evidence
from scribe.drafting.dialogue import Chunk
from scribe.drafting.lexicon import DrugLexicon, TermMatcher, term_pattern
from scribe.drafting.rulebook import ClinicalLexicon, GroundedRules
from scribe.drafting.text import SpokenCleaner, apply_rewrites, as_sentence, compile_pairs

_ADVERBS = {
    "just",
    "also",
    "still",
    "really",
    "never",
    "usually",
    "always",
    "actually",
    "definitely",
    "only",
    "even",
    "sometimes",
    "mostly",
    "probably",
    "kind",
    "sort",
    "generally",
    "often",
}
_MODALS = {"can", "could", "should", "would", "will", "might", "must", "may", "did", "was"}
_IRREGULAR = {
    "am": "is",
    "be": "is",
    "have": "has",
    "do": "does",
    "go": "goes",
    "don't": "does not",
    "can't": "cannot",
    "didn't": "did not",
    "haven't": "has not",
    "wasn't": "was not",
    "won't": "will not",
    "'m": "is",
    "'ve": "has",
    "'d": "would",
    "'ll": "will",
}
_PAST = {
    "felt",
    "had",
    "got",
    "took",
    "went",
    "fell",
    "hurt",
    "saw",
    "made",
    "put",
    "ran",
    "came",
    "thought",
    "told",
    "said",
    "gave",
    "kept",
    "left",
    "lost",
    "broke",
    "began",
    "woke",
    "ate",
}


@dataclass(frozen=True)
class Fact:
    """A note sentence built from the transcript, with the segments it came from.

    `order` is the index of the transcript sentence it was taken from (note order follows the
    visit); `problem` groups assessment-and-plan items under the condition they address.
    """

    section: str
    text: str
    evidence: tuple[Evidence, ...]
    kind: str
    order: int
    key: str = ""
    problem: str | None = None


class Toolkit:
    """Compiled rules and lexicons shared by the extractors (built once per drafter)."""

    def __init__(
        self,
        rules: GroundedRules,
        lexicon: ClinicalLexicon,
        drugs: DrugLexicon,
        cleaner: SpokenCleaner,
    ) -> None:
        self.rules = rules
        self.lexicon = lexicon
        self.drugs = drugs
        self.cleaner = cleaner
        self.labels = {c.name: c.label for c in [*lexicon.symptoms, *lexicon.conditions]}
        self.labels.update({lab.name: lab.label for lab in lexicon.labs})
        self.systems = {symptom.name: symptom.system for symptom in lexicon.symptoms}
        self.labs = TermMatcher([(lab.name, "lab", lab.terms) for lab in lexicon.labs])
        self.exam_vocab = _alternation(lexicon.exam_terms)
        self.result_vocab = _alternation(lexicon.result_terms)
        self._clinician = compile_pairs(rules.clinician_rewrites)
        self._pronouns = compile_pairs(rules.patient_pronouns)

    def pattern(self, pattern: str) -> re.Pattern[str]:
        """Compile a rules pattern case-insensitively."""
        return re.compile(pattern, re.IGNORECASE)

    def words(self, text: str) -> int:
        """Number of words in `text`."""
        return len(text.split())

    def fits(self, text: str) -> bool:
        """Whether a sentence has a useful length for a note."""
        count = self.words(text)
        return self.rules.limit("min_words") <= count <= self.rules.limit("max_words")

    def clinician_text(self, text: str) -> str:
        """Clinician speech as note text (second person rewritten), no final punctuation."""
        tidy = self.cleaner.tidy(text)
        return apply_rewrites(tidy, self._clinician).strip(" ,")

    def clinician_sentence(self, text: str) -> str:
        """Clinician speech as a note sentence."""
        return as_sentence(self.clinician_text(text))

    def patient_sentence(self, text: str) -> str:
        """Patient speech in the third person ("I feel tired" -> "The patient feels tired.")."""
        tidy = self.cleaner.tidy(text)
        for lead_in in self.rules.statement_lead_ins:
            tidy = re.sub(lead_in, "", tidy, flags=re.IGNORECASE)
        subject = _leading_subject(tidy)
        if subject is not None:
            rest = apply_rewrites(subject, self._pronouns)
            return as_sentence(self.rules.template("patient_subject").format(x=rest))
        rest = _lowercase_start(apply_rewrites(tidy, self._pronouns))
        template = (
            "patient_object"
            if re.match(self.rules.statement_object_pattern, rest, re.IGNORECASE)
            else "patient_statement"
        )
        return as_sentence(self.rules.template(template).format(x=rest))


def _alternation(terms: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(term_pattern(term) for term in terms), re.IGNORECASE)


def _lowercase_start(text: str) -> str:
    """Lower-case a clause's first word for use mid-sentence, unless it looks like a name or an
    abbreviation ("I", "ECG", "Dr", a capitalised word followed by another one)."""
    words = text.split(maxsplit=2)
    if not words or len(words[0]) < 2 or not words[0][:1].isupper() or words[0][1:2].isupper():
        return text
    if words[0].rstrip(".").lower() in {"dr", "mr", "mrs", "ms"}:
        return text
    if len(words) > 1 and words[1][:1].isupper():
        return text
    return text[0].lower() + text[1:]


def _leading_subject(text: str) -> str | None:
    """The sentence after a leading "I", with its verb in the third person; None otherwise."""
    match = re.match(r"^i(?:\s+|(?='))(.*)$", text, re.IGNORECASE)
    if not match:
        return None
    tokens = match.group(1).split(" ")
    for position, token in enumerate(tokens):
        word = token.lower().rstrip(",;:")
        if word in _ADVERBS or word == "of":
            continue
        tokens[position] = _third_person(word) + token[len(word) :]
        return " ".join(tokens)
    return None


def _third_person(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb in _MODALS or verb in _PAST or verb.endswith("ed") or not verb.isalpha():
        return verb
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def dedupe(facts: Iterable[Fact]) -> list[Fact]:
    """Drop facts whose key (or text) was already seen, keeping the first."""
    seen: set[str] = set()
    kept = []
    for fact in facts:
        key = fact.key or fact.text.lower()
        if key in seen:
            continue
        seen.add(key)
        kept.append(fact)
    return kept


def chunk_fact(section: str, text: str, chunk: Chunk, kind: str, key: str = "") -> Fact:
    """A fact quoting one transcript sentence."""
    return Fact(section, text, (chunk.evidence(),), kind, chunk.index, key=key)
