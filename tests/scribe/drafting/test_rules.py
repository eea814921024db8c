"""Rules files: every file loads, carries a version, and rejects unknown keys or bad patterns."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from pydantic import ValidationError

from scribe.drafting.prompting import note_headings
from scribe.drafting.rulebook import (
    RULES_PACKAGE,
    GroundedRules,
    LanguageRules,
    clinical_lexicon,
    drug_rules,
    grounded_rules,
    language_rules,
    rules_version,
)


def _raw(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(resources.files(RULES_PACKAGE).joinpath(name).read_text("utf-8"))


def test_every_rules_file_loads_with_a_version() -> None:
    for rules in (
        grounded_rules(),
        clinical_lexicon(),
        drug_rules(),
        language_rules(),
        note_headings(),
    ):
        assert rules.version
    assert len(drug_rules().drugs) >= 300
    assert rules_version().count("=") == 4


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.update(surprise=1),
        lambda raw: raw["templates"].update(bogus="x"),
        lambda raw: raw["limits"].pop("max_words"),
        lambda raw: raw.update(question_pattern="(unclosed"),
        lambda raw: raw["region_cues"].update(vitals=["x"]),
    ],
)
def test_grounded_rules_reject_bad_edits(change) -> None:  # type: ignore[no-untyped-def]
    raw = _raw("grounded_rules.json")
    change(raw)
    with pytest.raises(ValidationError):
        GroundedRules.model_validate(raw)


def test_language_rules_reject_bad_pattern() -> None:
    raw = _raw("language.json")
    raw["fillers"].append(["[oops", ""])
    with pytest.raises(ValidationError):
        LanguageRules.model_validate(raw)
