"""How the analyzer is built: only the project's recognizers, a packaged model, validated YAML."""

from __future__ import annotations

import pytest
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from scribe.deid.config import EngineConfig, PatternSpec, load_config
from scribe.deid.engine import PresidioDeidentifier
from scribe.deid.errors import DeidConfigError
from scribe.deid.nlp import PackagedSpacyNlpEngine


def test_only_project_recognizers_are_registered(deidentifier: PresidioDeidentifier) -> None:
    names = sorted(r.name for r in deidentifier._analyzer.registry.recognizers)
    assert names == ["facilities", "names", "patterns", "places", "spoken"]
    assert not any(
        isinstance(r, SpacyRecognizer) for r in deidentifier._analyzer.registry.recognizers
    )


def test_spacy_pipeline_is_trimmed(deidentifier: PresidioDeidentifier) -> None:
    nlp = deidentifier._nlp_engine.get_nlp("en")
    assert nlp.pipe_names == ["tok2vec", "ner"]


def test_missing_model_fails_instead_of_downloading(tmp_path) -> None:
    engine = PackagedSpacyNlpEngine(tmp_path, load_config().engine.nlp)
    with pytest.raises(DeidConfigError, match="no config.cfg"):
        engine.load()


def test_unknown_keys_are_rejected() -> None:
    raw = load_config().engine.model_dump()
    raw["score_treshold"] = 0.4
    with pytest.raises(ValueError, match="score_treshold"):
        EngineConfig.model_validate(raw)


def test_invalid_regex_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        PatternSpec(name="x", entity="DATE", score=0.5, regex="(unclosed")


def test_provenance_records_versions(deidentifier: PresidioDeidentifier) -> None:
    result = deidentifier.deidentify("Dr. Okafor called.", operator="tag")
    assert result.provenance.rules_version == load_config().version
    assert result.provenance.model_sha256
    assert result.provenance.parameters == {"operator": "tag"}
