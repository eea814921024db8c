"""Note section detection from the header rules in sections.json.

A header counts when it starts a line and is followed by a colon or the end of the line. One
combined regex finds every header in a single pass (medspaCy's sectionizer runs one regex per
rule over a text spaCy rebuilds each time, which cost more than the rest of the pipeline).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from coding.nlp_rule_schemas import SectionRules

UNKNOWN = "unknown"


class SectionFinder:
    """Compiled section header rules."""

    def __init__(self, rules: SectionRules) -> None:
        """Build one regex with a named group per section category."""
        groups = []
        for index, rule in enumerate(rules.sections):
            headers = sorted(rule.headers, key=len, reverse=True)
            words = "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in headers)
            groups.append(f"(?P<s{index}>{words})")
        self._categories = [rule.category for rule in rules.sections]
        self._regex = re.compile(
            r"^[ \t]*(?:" + "|".join(groups) + r")[ \t]*(?::|$)", re.IGNORECASE | re.MULTILINE
        )

    def headers(self, text: str) -> list[tuple[int, str]]:
        """(start offset, category) of every header, in text order."""
        found = []
        for match in self._regex.finditer(text):
            group = match.lastgroup or ""
            found.append((match.start(), self._categories[int(group[1:])]))
        return found


def section_at(headers: list[tuple[int, str]], offset: int) -> str:
    """The category of the last header at or before `offset` ('unknown' before any header)."""
    index = bisect_right([start for start, _ in headers], offset) - 1
    return headers[index][1] if index >= 0 else UNKNOWN
