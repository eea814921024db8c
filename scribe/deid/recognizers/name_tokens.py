"""Word tests and name extension shared by the name recognizer's rules."""

from __future__ import annotations

from scribe.deid.config import NamesConfig
from scribe.deid.recognizers.base import SpanRecognizer
from scribe.deid.spans import PhiSpan
from scribe.deid.textutil import PhraseMatcher, TextView
from scribe.deid.vocabulary import Vocabulary

_LEADING_PUNCT = {",", ":", "(", '"', "'", "-", "\u201c", "\u2018", ";", "/"}


def clause_start(view: TextView, k: int) -> bool:
    """Token k begins a line, a sentence or a "label:" clause."""
    if k == 0:
        return True
    gap = view.gap(k - 1, k)
    return "\n" in gap or "." in gap or view.tokens[k - 1].text in {":", ";", ">", "-"}


def bare_initial(view: TextView, k: int) -> bool:
    """A capital letter standing alone before a name ("J SMITH"), not "A" or "I"."""
    token = view.tokens[k]
    return (
        len(token.text) == 1
        and token.text.isupper()
        and token.text not in {"A", "I"}
        and view.gap(k, k + 1) == " "
    )


class NameRules(SpanRecognizer):
    """Configured trigger words and the tests that decide whether a token can be a name."""

    def __init__(self, config: NamesConfig, vocabulary: Vocabulary) -> None:
        super().__init__("names", ["PERSON"])
        self._config = config
        self._vocab = vocabulary
        self._titles = PhraseMatcher(config.titles)
        self._roles = PhraseMatcher(config.roles_before)
        self._relations = PhraseMatcher(config.relations)
        self._weak = PhraseMatcher(config.weak_before)
        self._intros = PhraseMatcher(config.introductions)
        self._after = PhraseMatcher(config.after)
        self._credentials = PhraseMatcher(config.credentials)
        self._never = frozenset(word.lower() for word in config.never)
        self._trigger_last = (
            self._titles.last
            | self._roles.last
            | self._relations.last
            | self._intros.last
            | self._weak.last
        )
        self._marker_first = self._credentials.first | self._after.first
        self._title_words = frozenset(
            word.lower().rstrip(".") for word in config.titles + config.roles_before
        )
        self._spelled_titles = frozenset(word.lower() for word in config.spelled_titles)
        self._trigger_words = self._title_words | frozenset(
            word.lower() for word in config.relations + config.credentials if " " not in word
        )

    def _any_word(self, view: TextView, k: int) -> bool:
        if not view.is_word(k) or view.lowers[k] in self._trigger_words:
            return False
        word = view.tokens[k].text
        if not word.replace("'", "").replace("-", "").replace("\u2019", "").isalpha():
            return False
        return len(word) > 1 or view.is_initial(k)

    def _after_title(self, view: TextView, k: int) -> bool:
        """After "Dr."/"Mr.": any word but clinical terms and `never` words (unless a name)."""
        token = view.tokens[k].text
        if len(token) == 1 and token.isupper() and token != "A":
            return True  # "Mr I", "Dr. K": an initial standing for the name
        if not self._any_word(view, k):
            return False
        word = view.tokens[k].text
        if view.lowers[k] in self._never:
            return (
                view.lowers[k] in self._vocab.first_names
                and view.modes[k] == "mixed"
                and (word[0].isupper())
            )
        if k > 0 and view.lowers[k - 1] in self._spelled_titles:
            return self._vocab.is_name(word) or not self._vocab.is_common(word)
        return self._vocab.is_name(word) or not self._vocab.in_clinical_lists(word)

    def _name_like(self, view: TextView, k: int) -> bool:
        """A listed name that is not clinical, or a word that is neither English nor clinical."""
        if not self._any_word(view, k) or view.lowers[k] in self._never:
            return False
        word = view.tokens[k].text
        if view.is_initial(k):
            return True
        if self._vocab.is_name(word):
            return not self._vocab.is_clinical(word)
        return view.shape_ok(k) and not self._vocab.is_common(word)

    def _role_ok(self, view: TextView, k: int) -> bool:
        """After "NP", "Ms": a listed name, or an unknown word that is capitalised or announced."""
        if not self._name_like(view, k):
            return False
        word = view.tokens[k].text
        if self._vocab.is_name(word) or view.is_initial(k):
            return True
        return self._titled(view, k) or self._announces_after(view, self._extend_right(view, k) + 1)

    def _intro_ok(self, view: TextView, k: int) -> bool:
        """After "I'm"/"hi": an unambiguous listed name or a capitalised unknown word."""
        if not self._name_like(view, k):
            return False
        word = view.tokens[k].text
        if self._vocab.is_unambiguous_name(word):
            return True
        return self._titled(view, k) and not self._vocab.is_common(word)

    def _weak_ok(self, view: TextView, k: int) -> bool:
        if not self._name_like(view, k):
            return False
        word = view.tokens[k].text
        if self._vocab.is_unambiguous_name(word):
            return True
        if self._vocab.is_common(word):
            return False
        return self._announces_after(view, self._extend_right(view, k) + 1)

    @staticmethod
    def _titled(view: TextView, k: int) -> bool:
        word = view.tokens[k].text
        return (
            len(word) > 1
            and word[0].isupper()
            and word[1:].islower()
            and (view.modes[k] != "upper")
        )

    def _continues(self, view: TextView, k: int) -> bool:
        """Whether token k continues a name begun just before it."""
        if self._is_marker(view, k) or view.lowers[k] in self._title_words:
            return False
        if k > 0 and self._titled(view, k) and self._titled(view, k - 1):
            word = view.tokens[k].text
            if (
                self._any_word(view, k)
                and view.lowers[k] not in self._never
                and not (self._vocab.in_clinical_lists(word))
            ):
                return True
        if not self._name_like(view, k):
            return False
        if view.lowers[k] in self._title_words:
            return False
        word = view.tokens[k].text
        return view.is_initial(k) or not self._vocab.is_common(word) or self._vocab.is_name(word)

    def _is_marker(self, view: TextView, k: int) -> bool:
        return bool(
            self._credentials.starting_at(view.lowers, k) or self._after.starting_at(view.lowers, k)
        )

    def _announces_after(self, view: TextView, k: int) -> bool:
        k = self.skip(view, k, forward=True)
        return 0 <= k < len(view) and self._is_marker(view, k)

    @staticmethod
    def skip(view: TextView, k: int, *, forward: bool) -> int:
        step = 1 if forward else -1
        while 0 <= k < len(view) and view.tokens[k].text in _LEADING_PUNCT:
            k += step
        return k

    # --- extending a seed into a full name -----------------------------------------------------

    def _extend_right(self, view: TextView, start: int) -> int:
        end = start
        while end - start + 1 < self._config.max_tokens:
            nxt = end + 1
            if nxt >= len(view) or not self._joinable(view, end, nxt):
                break
            if not self._continues(view, nxt):
                break
            end = nxt
        return end

    def _extend_left(self, view: TextView, end: int) -> int:
        start = end
        while end - start + 1 < self._config.max_tokens:
            prev = start - 1
            if prev < 0 or not self._joinable(view, prev, start):
                break
            if not self._continues(view, prev):
                break
            start = prev
        return start

    @staticmethod
    def _joinable(view: TextView, left: int, right: int) -> bool:
        """Only spaces between two name tokens, or the period after an initial ("G. Levine")."""
        gap = view.gap(left, right)
        if not gap.strip(" \t"):
            return bool(gap)
        return gap.strip(". \t") == "" and view.is_initial(left) and gap.count(".") == 1

    def _span(
        self, view: TextView, first: int, last: int, score: float, kind: str, *, strong: bool
    ) -> PhiSpan:
        return PhiSpan(
            view.tokens[first].start, view.tokens[last].end, "PERSON", score, f"name_{kind}", strong
        )
