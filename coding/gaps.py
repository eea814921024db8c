"""The coding-gap report: open gaps per patient, as CSV or as FHIR R4 MeasureReports.

A gap is a suggestion of kind undocumented, specificity or recapture that is still open,
deferred or queried (and not superseded). The FHIR form follows the shape of the HL7 Da Vinci
Risk Adjustment coding-gap report (profile `ra-measurereport`, STU 2): one `individual`
MeasureReport per patient with one group per CMS-HCC V28 category, each carrying the suspect
type (recapture -> historic, otherwise suspected) and the evidence status (open, deferred ->
`open-gap`; queried -> `pending`). It is an approximation, not a validated instance of the
profile: the measure canonical is this service's own (no published CMS-HCC V28 Measure), the
subject is a bare `Patient/{id}` reference (no US Core Patient is included), the hierarchical
status is not reported, and gaps without a V28 category appear in the CSV only.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from coding.tables import SuggestionRecord
from scribe.audit import record_event
from scribe.tables import Encounter, utcnow

__all__ = ["GAP_KINDS", "GAP_STATUSES", "Gap", "gaps_csv", "gaps_fhir", "open_gaps"]

GAP_KINDS = ("undocumented", "specificity", "recapture")
GAP_STATUSES = ("open", "deferred", "queried")
RA = "http://hl7.org/fhir/us/davinci-ra"
RA_PROFILE = f"{RA}/StructureDefinition/ra-measurereport"
CMS_HCC = "http://terminology.hl7.org/CodeSystem/cmshcc"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
MEASURE_V28 = "https://hcc-scribe.invalid/fhir/Measure/cms-hcc-v28"
GAP_CODE_EXTENSION = "https://hcc-scribe.invalid/fhir/StructureDefinition/gap-suggested-code"
CSV_COLUMNS = (
    "patient_id",
    "encounter_id",
    "date_of_service",
    "suggestion_id",
    "kind",
    "gap_status",
    "review_status",
    "icd10",
    "description",
    "hcc_v28",
    "hcc_v24",
    "raf_delta_v28",
    "code_set_year",
    "rules_version",
)


@dataclass(frozen=True)
class Gap:
    """One open gap: the suggestion and its encounter's patient and date of service."""

    suggestion: SuggestionRecord
    patient_id: str
    date_of_service: date

    @property
    def gap_status(self) -> str:
        """The Da Vinci evidence status: queried is `pending`, open and deferred `open-gap`."""
        return "pending" if self.suggestion.status == "queried" else "open-gap"


def open_gaps(
    *, session: Session, actor: str, patient_id: str | None = None, year: int | None = None
) -> list[Gap]:
    """Open gaps, by patient then date of service (one audit event for the export)."""
    query = (
        select(SuggestionRecord, col(Encounter.patient_id), col(Encounter.date_of_service))
        .join(Encounter, col(Encounter.id) == col(SuggestionRecord.encounter_id))
        .where(col(SuggestionRecord.status).in_(GAP_STATUSES))
        .where(col(SuggestionRecord.kind).in_(GAP_KINDS))
    )
    if patient_id:
        query = query.where(Encounter.patient_id == patient_id)
    if year:
        query = query.where(
            col(Encounter.date_of_service) >= date(year, 1, 1),
            col(Encounter.date_of_service) <= date(year, 12, 31),
        )
    query = query.order_by(
        col(Encounter.patient_id), col(Encounter.date_of_service), col(SuggestionRecord.id)
    )
    gaps = [Gap(*row) for row in session.exec(query).all()]
    record_event(
        session,
        actor=actor,
        action="coding_gaps.export",
        patient_id=patient_id,
        details={
            "gaps": len(gaps),
            "patients": len({gap.patient_id for gap in gaps}),
            "year": year,
        },
    )
    return gaps


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gaps_csv(gaps: Iterable[Gap]) -> str:
    """The gaps as CSV, one row per gap, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for gap in gaps:
        row = gap.suggestion
        values = (
            gap.patient_id,
            row.encounter_id,
            gap.date_of_service.isoformat(),
            row.id,
            row.kind,
            gap.gap_status,
            row.status,
            row.icd10,
            row.description,
            row.hcc_v28,
            row.hcc_v24,
            "" if row.raf_delta_v28 is None else f"{row.raf_delta_v28:.3f}",
            row.code_set_year,
            row.rules_version,
        )
        writer.writerow([_cell(value) for value in values])
    return out.getvalue()


def _coded(url: str, system: str, code: str) -> dict[str, Any]:
    return {"url": url, "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}


def _label(rows: list[SuggestionRecord]) -> str | None:
    for row in rows:
        labels = row.payload.get("hcc_v28_labels") or []
        if labels:
            return str(labels[0])
    return None


def _group(index: int, hcc: str, members: list[Gap]) -> dict[str, Any]:
    rows = [gap.suggestion for gap in members]
    historic = all(row.kind == "recapture" for row in rows)
    status = "open-gap" if any(gap.gap_status == "open-gap" for gap in members) else "pending"
    changed = max((row.status_at or row.created_at) for row in rows)
    label = _label(rows)
    coding: dict[str, Any] = {"system": CMS_HCC, "version": "28", "code": hcc}
    if label:
        coding["display"] = label
    codes = sorted({row.icd10 for row in rows if row.icd10})
    return {
        "id": f"group-{index:03d}",
        "extension": [
            _coded(
                f"{RA}/StructureDefinition/ra-suspectType",
                f"{RA}/CodeSystem/suspect-type",
                "historic" if historic else "suspected",
            ),
            _coded(
                f"{RA}/StructureDefinition/ra-evidenceStatus",
                f"{RA}/CodeSystem/evidence-status",
                status,
            ),
            {
                "url": f"{RA}/StructureDefinition/ra-evidenceStatusDate",
                "valueDate": changed.date().isoformat(),
            },
            *[
                {"url": GAP_CODE_EXTENSION, "valueCoding": {"system": ICD10CM, "code": code}}
                for code in codes
            ],
        ],
        "code": {
            "coding": [coding],
            "text": f"CMS-HCC V28 {hcc}" + (f": {label}" if label else ""),
        },
    }


def _report(patient_id: str, gaps: list[Gap], year: int | None, today: date) -> dict[str, Any]:
    by_hcc: dict[str, list[Gap]] = {}
    for gap in gaps:
        if gap.suggestion.hcc_v28:
            by_hcc.setdefault(gap.suggestion.hcc_v28, []).append(gap)
    days = [gap.date_of_service for gap in gaps]
    start, end = (date(year, 1, 1), date(year, 12, 31)) if year else (min(days), max(days))
    report_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hcc-scribe:gaps:{patient_id}:{start}:{end}")
    return {
        "resourceType": "MeasureReport",
        "id": str(report_id),
        "meta": {"profile": [RA_PROFILE]},
        "extension": [
            _coded(
                "http://hl7.org/fhir/StructureDefinition/measurereport-category",
                "http://hl7.org/fhir/CodeSystem/measurereport-category",
                "ra",
            )
        ],
        "status": "complete",
        "type": "individual",
        "measure": MEASURE_V28,
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": today.isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "group": [
            _group(index, hcc, members)
            for index, (hcc, members) in enumerate(sorted(by_hcc.items()), start=1)
        ],
    }


def gaps_fhir(gaps: Iterable[Gap], *, year: int | None = None) -> dict[str, Any]:
    """A FHIR R4 `collection` Bundle with one coding-gap MeasureReport per patient."""
    by_patient: dict[str, list[Gap]] = {}
    for gap in gaps:
        by_patient.setdefault(gap.patient_id, []).append(gap)
    today = utcnow().date()
    reports = [_report(patient, items, year, today) for patient, items in by_patient.items()]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": utcnow().isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{report['id']}", "resource": report} for report in reports
        ],
    }
