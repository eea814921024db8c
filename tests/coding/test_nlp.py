"""Clinical NLP pieces: target index, sections, ConText flags, qualifiers, combinations."""

from __future__ import annotations

import json
import re

import pytest

from coding.findings import FindingMaker
from coding.nlp import ClinicalNlp
from coding.rulebook import RuleSet
from coding.sections import SectionFinder, section_at
from coding.suggest import MedspacySuggester
from coding.targets import TargetIndex, TargetSpec, _longest_first, first_chars, rule_regex
from tests.coding.conftest import DOS, GOLDEN


def _specs(rules: RuleSet) -> list[TargetSpec]:
    specs = [
        TargetSpec(c.rule_id, c.family, tuple(c.patterns)) for c in rules.conditions.conditions
    ]
    specs += [
        TargetSpec(d.rule_id, "MEDICATION", tuple(d.patterns)) for d in rules.medications.drugs
    ]
    return specs


def _brute_force(specs: list[TargetSpec], text: str) -> list:
    found = []
    for spec in specs:
        pattern = re.compile(r"(?<![a-z0-9])" + rule_regex(spec.patterns), re.IGNORECASE)
        found += [(m.start(), m.end(), spec) for m in pattern.finditer(text) if m.end() > m.start()]
    return _longest_first(found)


def test_target_index_equals_brute_force_regex(rules: RuleSet) -> None:
    specs = _specs(rules)
    index = TargetIndex(specs)
    texts = [json.loads(line)["text"] for line in (GOLDEN / "gold.jsonl").read_text().splitlines()]
    for text in texts:
        fast = [(s, e, spec.rule_id) for s, e, spec in index.find(text)]
        slow = [(s, e, spec.rule_id) for s, e, spec in _brute_force(specs, text)]
        assert fast == slow, text


def test_first_chars() -> None:
    assert first_chars(rule_regex(["(?:congestive )?heart failure", "chf"])) == {"c", "h"}
    assert first_chars(rule_regex([r"(?<!on )ra(?=\s)"])) == {"r"}
    assert first_chars(rule_regex([r"\w+ disease"])) is None
    assert first_chars(rule_regex([r"(?:x)?"])) is None


def test_sections(rules: RuleSet) -> None:
    finder = SectionFinder(rules.sections)
    text = (
        "HPI: cough\nPast Medical History:\nCOPD\nAssessment and plan\nCOPD stable\n"
        "Plan of care is x"
    )
    headers = finder.headers(text)
    assert [category for _, category in headers] == [
        "hpi",
        "past_medical_history",
        "assessment_plan",
    ]
    assert section_at(headers, text.index("COPD stable")) == "assessment_plan"
    assert section_at(finder.headers("no headers here"), 3) == "unknown"


@pytest.fixture(scope="module")
def nlp(engine: MedspacySuggester) -> ClinicalNlp:
    return engine.nlp


@pytest.mark.parametrize(
    ("text", "target", "flags"),
    [
        ("Patient denies chest pain or diabetes.", "diabetes", {"negated"}),
        ("Mother had breast cancer at 50.", "breast cancer", {"family", "historical"}),
        ("If sugars rise we will talk about diabetes medicines.", "diabetes", {"hypothetical"}),
        ("Rule out CHF with echo.", "CHF", {"uncertain"}),
        ("Do you have COPD?", "COPD", {"question", "uncertain"}),
        ("History of stroke in 2019.", "stroke", {"historical"}),
        ("FAMILY HISTORY:\nDiabetes in both parents.", "Diabetes", {"family"}),
        ("PAST MEDICAL HISTORY:\nCOPD", "COPD", {"historical"}),
        ("Not on anticoagulation for AFib given fall risk.", "AFib", set()),
        ("Type 2 diabetes, stable.", "Type 2 diabetes", set()),
    ],
)
def test_context_flags(nlp: ClinicalNlp, text: str, target: str, flags: set[str]) -> None:
    mention = next(m for m in nlp.analyze(text).mentions if m.text == target)
    assert set(mention.flags) == flags


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CKD stage 3b, stable.", "N18.32"),
        ("Stage IV chronic kidney disease.", "N18.4"),
        ("CKD 3a on losartan.", "N18.31"),
        ("Chronic systolic heart failure.", "I50.22"),
        ("HFpEF, acute on chronic.", "I50.33"),
        ("Paroxysmal atrial fibrillation.", "I48.0"),
        ("Major depressive disorder, recurrent, severe.", "F33.2"),
        ("Type 2 diabetes, poorly controlled.", "E11.65"),
        ("Type 2 diabetes, no hypoglycemia.", "E11.9"),
        ("Left below-knee amputation.", "Z89.512"),
        ("Alzheimer's disease, moderate.", "G30.9"),
    ],
)
def test_qualifiers_select_specific_codes(
    nlp: ClinicalNlp, rules: RuleSet, text: str, code: str
) -> None:
    findings = FindingMaker(rules).find(nlp.analyze(text))
    assert findings[0].codes[0] == code


@pytest.mark.parametrize(
    ("note", "codes"),
    [
        (
            "Type 2 diabetes, A1c 7. CKD stage 3a, eGFR 50, stable. "
            "Hypertension, BP 130/80, on lisinopril.",
            {"E11.22", "N18.31", "I12.9"},
        ),
        (
            "Hypertension, BP 128/70. "
            "Chronic diastolic heart failure, euvolemic, continue furosemide.",
            {"I11.0", "I50.32"},
        ),
        (
            "HTN controlled. HFrEF stable on carvedilol. CKD stage 4, eGFR 25 reviewed.",
            {"I13.0", "I50.20", "N18.4"},
        ),
        (
            "History of stroke in 2021 with residual right hemiparesis; PT at home, uses a cane.",
            {"I69.351"},
        ),
        ("Type 2 diabetes with peripheral neuropathy, gabapentin continued.", {"E11.42"}),
        (
            "ESRD on hemodialysis, tolerating well. Hypertension controlled.",
            {"N18.6", "Z99.2", "I12.0"},
        ),
    ],
)
def test_combinations(engine: MedspacySuggester, note: str, codes: set[str]) -> None:
    report = engine.suggest(transcript=None, note=note, patient=None, date_of_service=DOS)
    assert set(report.coded()) == codes


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("And the apixaban for your atrial fibrillation, any bleeding or bruising?", True),
        ("How is your chronic atrial fibrillation these days?", True),
        ("Do you have atrial fibrillation?", False),
        ("Has anyone ever told you that you have atrial fibrillation?", False),
        ("Atrial fibrillation?", False),
        ("Irregular rhythm, ? atrial fibrillation, ECG ordered.", False),
        ("Assessment: ? atrial fibrillation", False),
    ],
)
def test_questions_assert_only_what_they_presuppose(
    engine: MedspacySuggester, text: str, asserted: bool
) -> None:
    mentions = [m for m in engine.nlp.analyze(text).mentions if m.family == "afib"]
    assert len(mentions) == 1, mentions
    assert mentions[0].asserted is asserted, mentions[0].flags
