"""Person names: context words (titles, relatives, credentials), name lists and spaCy NER.

Kinds of evidence, strongest first: a title ("Dr. Lally"), a softer role or a relative
("NP Jen", "son Bill"), a credential or verb after the name ("Nancy Jones, RN", "Welsh aware"),
a first name followed by a surname-like word, an initial and a surname ("E. Welsh"), a weak
announcer ("per", "by", "called") followed by a listed name, a listed name alone, and spaCy's
PERSON entities on normally capitalised lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from presidio_analyzer.nlp_engine import NlpArtifacts

from scribe.deid.recognizers.base import text_view
from scribe.deid.recognizers.name_tokens import NameRules, bare_initial, clause_start
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView

_JOINERS = {"and", "&", ",", "or"}

Accept = Callable[[TextView, int], bool]


def _sentence_break(view: TextView, trigger: int, cand: int) -> bool:
    """A period between trigger and candidate that ends a sentence ("wife. Reorients"), not an
    abbreviation's period ("Ms. Cooper", "NP. Jen")."""
    gap = view.gap(trigger, cand)
    if "." not in gap:
        return False
    return not (gap.startswith(".") and len(view.tokens[trigger].text) <= 3)


class NameRecognizer(NameRules):
    """Finds names of patients, relatives and clinicians."""

    # --- evidence ------------------------------------------------------------------------------

    def _after_trigger(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        scores = self._config.scores
        rules: list[tuple[PhraseMatcher, Accept, float, str, bool]] = [
            (self._titles, self._after_title, scores.title, "title", True),
            (self._roles, self._role_ok, scores.role, "role", True),
            (self._relations, self._name_like, scores.relation, "relation", True),
            (self._intros, self._intro_ok, scores.relation, "introduction", True),
            (self._weak, self._weak_ok, scores.weak, "announcer", False),
        ]
        for matcher, accept, score, kind, strong in rules:
            if not matcher.ending_at(view.lowers, k):
                continue
            cand = k + 1 if kind == "title" else self.skip(view, k + 1, forward=True)
            if cand >= len(view) or (kind != "title" and _sentence_break(view, k, cand)):
                return
            if view.same_line(k, cand) and accept(view, cand):
                yield from self._with_joined(view, cand, score, kind, strong=strong)
            return

    def _with_joined(
        self, view: TextView, cand: int, score: float, kind: str, *, strong: bool
    ) -> Iterator[PhiSpan]:
        """The name at `cand` and names joined to it by "and" or commas ("sons Dave and Bill")."""
        for _ in range(4):
            end = self._extend_right(view, cand)
            yield self._span(view, cand, end, score, kind, strong=strong)
            joiner = end + 1
            if joiner >= len(view) or view.lowers[joiner] not in _JOINERS:
                return
            cand = joiner + 1
            if not (cand < len(view) and view.same_line(end, cand)):
                return
            if not self._name_like(view, cand):
                return
            word = view.tokens[cand].text
            if self._vocab.is_english(word) and not self._vocab.is_name(word):
                return

    def _before_marker(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "Nancy Jones, RN", "Welsh aware": a name just before a credential or verb."""
        is_credential = bool(self._credentials.starting_at(view.lowers, k))
        if not is_credential and not self._after.starting_at(view.lowers, k):
            return
        if is_credential and not view.tokens[k].text.isupper() and view.modes[k] == "mixed":
            return
        cand = self.skip(view, k - 1, forward=False)
        if not self._marker_candidate(view, cand, k, is_credential=is_credential):
            return
        start = self._extend_left(view, cand)
        if start > 0 and bare_initial(view, start - 1) and view.same_line(start - 1, start):
            start -= 1  # "J SMITH ORDERED": an initial written without its period
        kind = "credential" if is_credential else "after"
        strong = is_credential and start < cand
        yield self._span(view, start, cand, self._config.scores.after, kind, strong=strong)

    def _marker_candidate(self, view: TextView, cand: int, k: int, *, is_credential: bool) -> bool:
        """Whether token `cand`, just before the marker at k, can end a name."""
        if cand < 0 or not view.same_line(cand, k) or not self._name_like(view, cand):
            return False
        word = view.tokens[cand].text
        if (
            is_credential
            and not self._credential_ends(view, k)
            and not (self._vocab.is_name(word) or self._extend_left(view, cand) < cand)
        ):
            return False
        if "." in view.gap(cand, k) and not view.is_initial(cand):
            return False
        if is_credential and view.lowers[cand] in self._vocab.places:
            return False  # "Towson, MD" is a town in a state
        if not self._vocab.is_common(word) or view.is_initial(cand):
            return True
        subject = (
            not is_credential
            and view.lowers[cand] in self._vocab.first_names
            and clause_start(view, cand)
            and view.lowers[cand] not in self._never
        )
        initialled = (
            self._vocab.is_name(word)
            and cand > 0
            and (view.is_initial(cand - 1) or bare_initial(view, cand - 1))
        )
        return subject or initialled

    def _credential_ends(self, view: TextView, k: int) -> bool:
        """A credential closes a name: line end, punctuation, or a verb such as "aware" follows."""
        size = self._credentials.starting_at(view.lowers, k)
        nxt = k + size
        if nxt >= len(view) or not view.same_line(k, nxt) or not view.is_word(nxt):
            return True
        if view.gap(k + size - 1, nxt).strip():
            return True
        if "," in view.gap(k - 1, k):
            return True
        return bool(self._after.starting_at(view.lowers, nxt))

    def _full_or_initial(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        word = view.tokens[k].text
        nxt = k + 1
        if nxt >= len(view) or not view.same_line(k, nxt) or view.gap(k, nxt).strip(". "):
            return
        if view.is_initial(k):
            yield from self._initial(view, k)
            return
        if view.lowers[k] not in self._vocab.first_names or not self._name_like(view, k):
            return
        if self._listed_pair(view, k, nxt) or self._lower_listed_pair(view, k, nxt):
            end = self._extend_right(view, nxt)
            yield self._span(view, k, end, self._config.scores.full_name, "full_name", strong=True)
            return
        if not self._continues(view, nxt):
            return
        second = view.tokens[nxt].text
        titled_pair = self._titled(view, k) and self._titled(view, nxt)
        if (
            self._vocab.is_common(second)
            and not titled_pair
            and not (
                view.modes[k] == "mixed"
                and view.lowers[nxt] in self._vocab.surnames
                and not self._vocab.is_common(word)
            )
        ):
            return
        if self._vocab.is_common(word) and not (
            view.lowers[nxt] in self._vocab.surnames
            or (view.modes[k] == "mixed" and word[0].isupper() and second[0].isupper())
        ):
            return
        end = self._extend_right(view, nxt)
        yield self._span(view, k, end, self._config.scores.full_name, "full_name", strong=True)

    def _listed_pair(self, view: TextView, first: int, second: int) -> bool:
        """ "Bernard Foley": a listed first name and listed surname, both capitalised."""
        a, b = view.tokens[first].text, view.tokens[second].text
        return (
            view.lowers[second] in self._vocab.surnames
            and not self._vocab.is_common(a)
            and a[0].isupper()
            and b[0].isupper()
            and (a.isupper() == b.isupper())
            and view.lowers[second] not in self._never
        )

    def _lower_listed_pair(self, view: TextView, first: int, second: int) -> bool:
        """ "nicole miller" in a lower-case transcript: an unambiguous first name and a surname."""
        return (
            view.modes[first] == "lower"
            and view.lowers[second] in self._vocab.surnames
            and self._vocab.is_unambiguous_name(view.tokens[first].text)
            and view.lowers[second] not in self._never
            and not self._vocab.in_clinical_lists(view.tokens[second].text)
        )

    def _initial(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        """ "E. Welsh aware", "per W. Marotta": an initial, a period, a space and a surname."""
        nxt = k + 1
        token = view.tokens[k]
        if view.gap(k, nxt) not in {". ", ".  "} or (
            token.start > 0 and view.text[token.start - 1] not in " \t\n(,;:-"
        ):
            return
        word = view.tokens[nxt].text
        if not self._any_word(view, nxt) or view.lowers[nxt] in self._never:
            return
        if (
            not view.shape_ok(nxt)
            or self._vocab.is_clinical(word)
            and not self._vocab.is_name(word)
        ):
            return
        end = self._extend_right(view, nxt)
        announced = k > 0 and any(
            m.ending_at(view.lowers, k - 1) for m in (self._weak, self._titles, self._roles)
        )
        plain = not self._vocab.is_common(word) or self._vocab.is_unambiguous_name(word)
        marked = announced or self._announces_after(view, end + 1)
        if plain or marked:
            yield self._span(view, k, end, self._config.scores.weak, "initial", strong=marked)

    def _alone(self, view: TextView, k: int) -> Iterator[PhiSpan]:
        word = view.tokens[k].text
        if len(word) < 3 or not view.shape_ok(k) or not self._vocab.is_unambiguous_name(word):
            return
        if view.lowers[k] in self._never:
            return
        scores = self._config.scores
        if view.lowers[k] in self._vocab.first_names:
            yield self._span(view, k, k, scores.first_name_alone, "first_name", strong=False)
        elif len(word) >= 4:
            yield self._span(view, k, k, scores.surname_alone, "surname", strong=False)

    def _from_ner(self, view: TextView, nlp_artifacts: NlpArtifacts | None) -> Iterator[PhiSpan]:
        if nlp_artifacts is None:
            return
        for entity in nlp_artifacts.entities:
            if entity.label_ != "PERSON":
                continue
            words = [w for w in entity if w.is_alpha and w.lower_ not in self._never]
            words = [w for w in words if w.lower_.rstrip(".") not in {"dr", "mr", "mrs", "ms"}]
            if not words or words[0].text.isupper() or words[0].text.islower():
                continue
            texts = [w.text for w in words]
            if any(self._vocab.is_clinical(t) and not self._vocab.is_name(t) for t in texts):
                continue
            if all(self._vocab.is_common(t) for t in texts):
                continue
            listed = any(self._vocab.is_unambiguous_name(t) for t in texts)
            titled = len(texts) >= 2 and all(
                len(t) > 2 and t[0].isupper() and t[1:].islower() for t in texts
            )
            if not (listed or (titled and not any(self._vocab.is_common(t) for t in texts))):
                continue
            start, end = words[0].idx, words[-1].idx + len(words[-1].text)
            yield PhiSpan(start, end, "PERSON", self._config.scores.ner, "name_ner")

    # --- entry point ---------------------------------------------------------------------------

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[PhiSpan]:
        """All name spans in `text` (overlaps are resolved later)."""
        view = text_view(text, nlp_artifacts)
        spans: list[PhiSpan] = []
        names = self._vocab.first_names | self._vocab.surnames
        for k, lower in enumerate(view.lowers):
            if lower in self._trigger_last:
                spans.extend(self._after_trigger(view, k))
            if view.tokens[k].kind != "word":
                continue
            if lower in self._marker_first:
                spans.extend(self._before_marker(view, k))
            if len(lower) == 1 or lower in self._vocab.first_names:
                spans.extend(self._full_or_initial(view, k))
            if lower in names:
                spans.extend(self._alone(view, k))
        spans.extend(self._from_ner(view, nlp_artifacts))
        return spans
