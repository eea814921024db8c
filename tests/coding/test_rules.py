"""The rule files: validated on load, unknown keys rejected, versions and codes checked."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest
from pydantic import ValidationError

from coding.errors import RulesError
from coding.nlp_rule_schemas import ContextRules, QueryRules
from coding.rule_schemas import ConditionRules
from coding.rulebook import RuleSet, check_rule_set, expand_code


def _raw(name: str) -> dict:
    return json.loads(resources.files("coding.rules").joinpath(name).read_text("utf-8"))


def test_rule_set_loads_with_one_version(rules: RuleSet) -> None:
    manifest = _raw("manifest.json")
    assert rules.version == manifest["version"]
    assert set(manifest["files"].values()) == {rules.version}
    assert len(rules.conditions.conditions) > 100


def test_every_rule_has_an_id() -> None:
    for name, key in [
        ("conditions.json", "conditions"),
        ("medications.json", "drugs"),
        ("combinations.json", "combinations"),
        ("specificity.json", "rules"),
        ("context.json", "rules"),
        ("labs.json", "rules"),
    ]:
        ids = [item["rule_id"] for item in _raw(name)[key]]
        assert all(ids) and len(ids) == len(set(ids)), name


def test_unknown_keys_are_rejected() -> None:
    raw = _raw("conditions.json")
    raw["conditions"][0]["colour"] = "red"
    with pytest.raises(ValidationError, match="colour"):
        ConditionRules.model_validate(raw)
    raw = _raw("context.json")
    raw["extra"] = 1
    with pytest.raises(ValidationError, match="extra"):
        ContextRules.model_validate(raw)


def test_bad_regex_and_missing_history_code_are_rejected() -> None:
    raw = _raw("conditions.json")
    raw["conditions"][0]["patterns"] = ["type (2 diabetes"]
    with pytest.raises(ValidationError, match="invalid regular expression"):
        ConditionRules.model_validate(raw)
    raw = _raw("conditions.json")
    raw["conditions"][0]["on_historical"] = "history_code"
    raw["conditions"][0].pop("history_code", None)
    with pytest.raises(ValidationError, match="needs history_code"):
        ConditionRules.model_validate(raw)


def test_query_templates_must_be_neutral() -> None:
    raw = _raw("queries.json")
    raw["templates"]["recapture"] = "Documenting {label} raises the RAF."
    with pytest.raises(ValidationError, match="banned term"):
        QueryRules.model_validate(raw)
    raw = _raw("queries.json")
    raw["templates"]["recapture"] = "Please document {diagnosis}."
    with pytest.raises(ValidationError, match="unknown placeholders"):
        QueryRules.model_validate(raw)


def test_cross_checks_catch_bad_codes_and_references(rules: RuleSet) -> None:
    conditions = rules.conditions.model_copy(deep=True)
    bad = conditions.conditions[0].model_copy(update={"code": "E11"})
    broken = dataclasses.replace(
        rules,
        conditions=conditions.model_copy(update={"conditions": [bad, *conditions.conditions[1:]]}),
    )
    with pytest.raises(RulesError, match="E11 is a category"):
        check_rule_set(broken)
    drug = rules.medications.drugs[0].model_copy(update={"families": ["no_such_family"]})
    medications = rules.medications.model_copy(
        update={"drugs": [drug, *rules.medications.drugs[1:]]}
    )
    with pytest.raises(RulesError, match="unknown family 'no_such_family'"):
        check_rule_set(dataclasses.replace(rules, medications=medications))


def test_dm_placeholder_expands_to_both_types() -> None:
    assert expand_code("{dm}.42") == ["E10.42", "E11.42"]
    assert expand_code("I10") == ["I10"]


def test_duplicate_context_triggers_are_rejected(rules: RuleSet) -> None:
    first = rules.context.rules[0]
    copy = first.model_copy(update={"rule_id": "ctx.test.copy"})
    context = rules.context.model_copy(update={"rules": [*rules.context.rules, copy]})
    with pytest.raises(RulesError, match="is in ctx"):
        check_rule_set(dataclasses.replace(rules, context=context))
