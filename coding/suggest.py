"""The suggestion engine: `MedspacySuggester` (a `ConditionSuggester`) and `suggest()`.

One call handles one encounter and keeps no state between calls, so suggestions belong to the
encounter (and date of service) they were made for.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache
from importlib.metadata import version

from coding import codes, hcc, prompts, review
from coding.contracts import EngineInput, SuggestionReport
from coding.documents import note_layout, transcript_layout
from coding.encounter import Encounter, Side
from coding.errors import CodingInputError
from coding.findings import FindingMaker, diabetes_category
from coding.labs import evaluate_all
from coding.meat import MeatFinder
from coding.nlp import ClinicalNlp
from coding.report import RafScorer, ordered, prompt_suggestion, supported_suggestion
from coding.rulebook import RuleSet, load_rules
from coding.supported import build_supported
from scribe.contracts import Draft, PatientContext, Provenance, Transcript
from scribe.version import code_version

LOGGER = logging.getLogger(__name__)


class MedspacySuggester:
    """Rule-based condition suggester on spaCy + medspaCy, CMS-HCC through hccinfhir."""

    def __init__(
        self,
        nlp: ClinicalNlp | None = None,
        *,
        rules: RuleSet | None = None,
        payment_year: int = hcc.DEFAULT_PAYMENT_YEAR,
        newer_dates_use_latest_code_set: bool = False,
    ) -> None:
        """Build the engine; loads spaCy (a few seconds) unless a ClinicalNlp is given.

        `newer_dates_use_latest_code_set` lets dates of service after the installed ICD-10-CM
        code set be coded against it, with a notice on the report; by default they are refused.
        """
        self.newer_dates_use_latest_code_set = newer_dates_use_latest_code_set
        self.rules = rules or (nlp.rules if nlp else load_rules())
        self.nlp = nlp or ClinicalNlp.from_catalogue(rules=self.rules)
        hcc.tables(payment_year)
        self.payment_year = payment_year
        self._findings = FindingMaker(self.rules)
        self._meat = MeatFinder(self.rules)

    def suggest(
        self,
        *,
        transcript: Transcript | None,
        note: str | Draft | None,
        patient: PatientContext | None,
        date_of_service: date,
        encounter_id: str | None = None,
    ) -> SuggestionReport:
        """Suggestions for one encounter. Raises CodingInputError on unusable input."""
        if not isinstance(date_of_service, date):
            raise CodingInputError("date_of_service must be a date")
        code_set = codes.code_set_year(
            date_of_service, allow_latest=self.newer_dates_use_latest_code_set
        )
        note, transcript = self._checked_text(note, transcript)
        _check_patient(patient)
        encounter = self._encounter(note, transcript, patient, date_of_service)
        self._build(encounter)
        report = self._report(encounter, code_set, encounter_id)
        notice = codes.code_set_notice(date_of_service)
        if notice:
            report = report.model_copy(update={"notices": (*report.notices, notice)})
        LOGGER.info(
            "coding suggestions: encounter=%s suggestions=%d supported=%d",
            encounter_id,
            len(report.suggestions),
            len(report.of_kind("supported")),
        )
        return report

    def _checked_text(
        self, note: str | Draft | None, transcript: Transcript | None
    ) -> tuple[str | Draft | None, Transcript | None]:
        limit = self.rules.policy.max_text_chars
        note_text = note if isinstance(note, str) else (note.as_text() if note else "")
        if note is not None and not isinstance(note, str | Draft):
            raise CodingInputError(f"note must be text or a Draft, got {type(note).__name__}")
        transcript_text = transcript.text if transcript else ""
        for name, text in (("note", note_text), ("transcript", transcript_text)):
            if len(text) > limit:
                raise CodingInputError(
                    f"the {name} has {len(text):,} characters; the limit is {limit:,}"
                )
        if not note_text.strip() and not transcript_text.strip():
            raise CodingInputError("nothing to code: the note and the transcript are both empty")
        return (note if note_text.strip() else None), (
            transcript if transcript_text.strip() else None
        )

    def _encounter(
        self,
        note: str | Draft | None,
        transcript: Transcript | None,
        patient: PatientContext | None,
        date_of_service: date,
    ) -> Encounter:
        layouts = []
        if note is not None:
            layouts.append(note_layout(note))
        if transcript is not None:
            layouts.append(transcript_layout(transcript))
        analyses = self.nlp.analyze_many([layout.text for layout in layouts])
        sides = [
            Side(layout, analysis, self._findings.find(analysis))
            for layout, analysis in zip(layouts, analyses, strict=True)
        ]
        note_side = next((s for s in sides if s.layout.kind == "note"), None)
        transcript_side = next((s for s in sides if s.layout.kind == "transcript"), None)
        dm_source = note_side or transcript_side
        return Encounter(
            rules=self.rules,
            date_of_service=date_of_service,
            payment_year=self.payment_year,
            patient=patient,
            note=note_side,
            transcript=transcript_side,
            dm=diabetes_category(dm_source.findings if dm_source else []),
            lab_hits=evaluate_all(self.rules, patient, date_of_service),
        )

    def _build(self, encounter: Encounter) -> None:
        unaddressed = build_supported(encounter, self._meat)
        prompts.note_mentions_without_meat(encounter, unaddressed)
        prompts.specificity(encounter)
        prompts.transcript_conditions(encounter)
        prompts.medications(encounter)
        prompts.labs(encounter)
        review.recapture(encounter)
        review.unsupported(encounter, review.problem_codes(encounter, self.nlp, self._findings))

    def _report(
        self, encounter: Encounter, code_set: str, encounter_id: str | None
    ) -> SuggestionReport:
        scorer = RafScorer(encounter.patient, self.payment_year)
        suggestions = [
            supported_suggestion(encounter, i, scorer, encounter_id) for i in encounter.items
        ]
        suggestions += [
            prompt_suggestion(encounter, p, scorer, encounter_id) for p in encounter.pending
        ]
        supported = [item.code for item in encounter.items]
        return SuggestionReport(
            encounter_id=encounter_id,
            date_of_service=encounter.date_of_service,
            code_set_year=code_set,
            payment_year=self.payment_year,
            suggestions=tuple(ordered(suggestions)),
            raf_before_v28=scorer.score([], "V28"),
            raf_after_v28=scorer.score(supported, "V28"),
            raf_before_v24=scorer.score([], "V24"),
            raf_after_v24=scorer.score(supported, "V24"),
            hccs_after_v28=_final_hccs(encounter, supported, "V28"),
            hccs_after_v24=_final_hccs(encounter, supported, "V24"),
            notices=tuple(_notices(encounter, scorer)),
            provenance=self._provenance(code_set),
        )

    def _provenance(self, code_set: str) -> Provenance:
        return Provenance(
            component="coding.MedspacySuggester",
            model_name=self.nlp.model_name,
            model_sha256=self.nlp.model_sha256 or None,
            rules_version=self.rules.version,
            code_version=code_version(),
            parameters={
                "code_set_year": code_set,
                "code_set_release": codes.INSTALLED_RELEASE,
                "payment_year": self.payment_year,
                "hcc_models": ["CMS-HCC V28", "CMS-HCC V24"],
                "hccinfhir": version("hccinfhir"),
                "spacy": version("spacy"),
                "medspacy": version("medspacy"),
            },
        )


def _final_hccs(encounter: Encounter, supported: list[str], model: str) -> tuple[str, ...]:
    """HCCs after hierarchies (and the CMS age/sex edits) for the codes the note supports."""
    if not supported:
        return ()
    patient = encounter.patient
    age, sex = (patient.age, patient.sex) if patient else (70, "F")
    result = hcc.raf(age, sex, "none", supported, model=model, payment_year=encounter.payment_year)
    return tuple(result["hcc_list"])


def _notices(encounter: Encounter, scorer: RafScorer) -> list[str]:
    notices = []
    if encounter.patient is None:
        notices.append("no patient context: RAF not computed, no recapture or problem-list review")
    elif not scorer.enabled:
        notices.append("ESRD beneficiary: scored by the CMS-HCC ESRD model, RAF not computed here")
    if encounter.date_of_service.year + 1 != encounter.payment_year:
        notices.append(
            f"dates of service in {encounter.date_of_service.year} feed payment year "
            f"{encounter.date_of_service.year + 1}; RAF uses payment year {encounter.payment_year}"
        )
    if encounter.note is None:
        notices.append("no note: nothing can be supported; transcript evidence gives prompts only")
    return notices


def _check_patient(patient: PatientContext | None) -> None:
    if patient is None:
        return
    if not isinstance(patient, PatientContext):
        raise CodingInputError("patient must be a PatientContext (see coding.load_patient_context)")
    for field in ("prior_year_dx",):
        for index, raw in enumerate(getattr(patient, field)):
            try:
                codes.validate(raw)
            except CodingInputError as exc:
                raise CodingInputError(f"patient.{field}[{index}]: {exc}") from exc
    for index, raw in enumerate(patient.problems):
        if codes.looks_like_code(raw):
            try:
                codes.validate(raw)
            except CodingInputError as exc:
                raise CodingInputError(f"patient.problems[{index}]: {exc}") from exc


@lru_cache(maxsize=1)
def default_suggester() -> MedspacySuggester:
    """A process-wide engine built on first use (spaCy loads once), for the CLI and scripts."""
    return MedspacySuggester()


def suggest(
    source: str | Transcript | Draft | EngineInput,
    patient: PatientContext | None = None,
    *,
    date_of_service: date | str,
    transcript: Transcript | None = None,
    encounter_id: str | None = None,
    suggester: MedspacySuggester | None = None,
) -> SuggestionReport:
    """Suggest codes for one encounter from a note (text or Draft), a transcript, or both.

    Args:
        source: The note text, a Draft, a Transcript, or an EngineInput (note and transcript).
        patient: Demographics, lists, labs and vitals; None skips RAF and list review.
        date_of_service: The encounter date (ISO text accepted); selects the code-set year.
        transcript: The visit transcript when `source` is the note.
        encounter_id: Recorded on the report and mixed into suggestion ids.
        suggester: The engine to use; default one engine per process.

    Raises:
        CodingInputError: empty or oversized text, a malformed code, a date outside the
            installed code set, an unsupported payment year.
    """
    engine_input = _engine_input(source, transcript)
    when = _as_date(date_of_service)
    engine = suggester or default_suggester()
    return engine.suggest(
        transcript=engine_input.transcript,
        note=engine_input.note,
        patient=patient,
        date_of_service=when,
        encounter_id=encounter_id,
    )


def _engine_input(
    source: str | Transcript | Draft | EngineInput, transcript: Transcript | None
) -> EngineInput:
    if isinstance(source, EngineInput):
        return EngineInput(note=source.note, transcript=transcript or source.transcript)
    if isinstance(source, Transcript):
        return EngineInput(note=None, transcript=source)
    if isinstance(source, str | Draft):
        return EngineInput(note=source, transcript=transcript)
    raise CodingInputError(f"cannot suggest codes from a {type(source).__name__}")


def _as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CodingInputError(
            f"date of service {value!r} is not an ISO date (YYYY-MM-DD)"
        ) from exc
