"""Clinical NLP and CMS-HCC coding suggestions: conditions -> ICD-10-CM -> CMS-HCC, with
evidence, MEAT, neutral queries and RAF (through hccinfhir).

Entry points for the service layer:
- `MedspacySuggester` (a `ConditionSuggester`) and `suggest()` -> `SuggestionReport`
- `raf()` -> dict, the service's only RAF path
- `load_patient_context()` (plain JSON or FHIR R4 Bundle)
- `read_engine_input()` / `load_input_file()` (note, transcript or Draft from a file)
- `evaluate_coding()` for `scribe eval coding`
"""

from coding.contracts import (
    ConditionSuggester,
    EngineInput,
    EvidenceItem,
    MeatElement,
    Suggestion,
    SuggestionReport,
)
from coding.errors import CodingInputError, RulesError
from coding.evaluation import evaluate_coding
from coding.hcc import raf
from coding.inputs import load_input_file, read_engine_input
from coding.patient_input import load_patient_context
from coding.suggest import MedspacySuggester, default_suggester, suggest

__all__ = [
    "CodingInputError",
    "ConditionSuggester",
    "EngineInput",
    "EvidenceItem",
    "MeatElement",
    "MedspacySuggester",
    "RulesError",
    "Suggestion",
    "SuggestionReport",
    "default_suggester",
    "evaluate_coding",
    "load_input_file",
    "load_patient_context",
    "raf",
    "read_engine_input",
    "suggest",
]
