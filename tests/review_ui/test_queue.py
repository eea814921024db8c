"""The coder queue (issue 5): filters, sorting, keyset pages, bulk decisions, clinician queries,
the coding-gap report, who may do what, and the pages with their forms."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from coding.contracts import EvidenceItem, Suggestion, SuggestionReport
from coding.services import store_report
from review_ui import pages_queue
from review_ui.app import create_app
from review_ui.policy import CSRF_FIELD, CSRF_HEADER
from scribe.contracts import Provenance
from scribe.db import transaction
from scribe.settings import Settings
from tests.review_ui.auth import add_user, client_as

HTML = {"Accept": "text/html"}
NEUTRAL = (
    "The transcript mentions an irregular heartbeat. Please document its status, if appropriate."
)


def _suggestion(kind: str, icd10: str, hcc: str | None, delta: float | None) -> Suggestion:
    return Suggestion(
        id=f"{kind}-{icd10}",
        kind=kind,  # type: ignore[arg-type]
        family="test",
        label=icd10,
        icd10=icd10,  # type: ignore[arg-type]
        description=f"description of {icd10}",
        hcc_v28=(hcc,) if hcc else (),
        hcc_v28_labels=(f"label {hcc}",) if hcc else (),
        raf_delta_v28=delta,
        evidence=(EvidenceItem(source="transcript_segment", ref="t1", quote=f"quote for {icd10}"),),
        rule_id="test.rule",
        rules_version="t1",
        code_set_year="FY2026",
        confidence=0.9,
        query_text=f"Please document the status of {icd10}, if clinically appropriate.",
    )


def _store(app: FastAPI, encounter_id: str, *suggestions: Suggestion) -> None:
    report = SuggestionReport(
        date_of_service=date(2026, 11, 2),
        code_set_year="FY2026",
        payment_year=2026,
        suggestions=suggestions,
        provenance=Provenance(component="test", code_version="t"),
    )
    with transaction(app.state.engine) as session:
        store_report(
            session=session,
            report=report,
            encounter_id=encounter_id,
            note_id=None,
            note_version=None,
            job_id=None,
            actor="test",
        )


def _encounter(admin: TestClient, patient: str, day: str, owner: str) -> str:
    response = admin.post(
        "/api/encounters",
        params={"assign_to": owner},
        json={"patient_id": patient, "date_of_service": day, "clinician": owner.upper()},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def world(app: FastAPI) -> dict[str, Any]:
    """dr.a: two encounters of patient one; dr.b: one of patient two; a coder and compliance."""
    for name, role in (("dr.a", "clinician"), ("dr.b", "clinician"), ("cara", "compliance")):
        add_user(app, name, role)
    admin = client_as(app, "boss", "admin")
    one = admin.post("/api/patients", json={"birth_date": "1950-01-01", "sex": "M"}).json()["id"]
    two = admin.post("/api/patients", json={"birth_date": "1960-06-30", "sex": "F"}).json()["id"]
    a1 = _encounter(admin, one, "2026-11-02", "dr.a")
    a2 = _encounter(admin, one, "2026-10-01", "dr.a")
    b1 = _encounter(admin, two, "2026-09-15", "dr.b")
    _store(
        app,
        a1,
        _suggestion("undocumented", "I48.91", "238", 0.299),
        _suggestion("specificity", "E11.40", "37", 0.166),
        _suggestion("supported", "E11.9", "38", 0.1),
    )
    _store(app, a2, _suggestion("recapture", "J44.9", "280", 0.319))
    _store(
        app,
        b1,
        _suggestion("undocumented", "I50.22", "226", 0.36),
        _suggestion("unsupported", "Z86.73", None, None),
    )
    return {
        "app": app,
        "admin": admin,
        "coder": client_as(app, "kim", "coder"),
        "dr.a": client_as(app, "dr.a"),
        "dr.b": client_as(app, "dr.b"),
        "cara": client_as(app, "cara"),
        "patients": (one, two),
        "encounters": (a1, a2, b1),
    }


def _ids(client: TestClient, **params: Any) -> list[str]:
    page = client.get("/api/suggestions", params={"limit": 500, **params})
    assert page.status_code == 200, page.text
    return [item["icd10"] for item in page.json()["items"]]


def _status(app: FastAPI, icd10: str) -> tuple[str, str | None]:
    with app.state.engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, status_by FROM suggestion WHERE icd10 = :c"), {"c": icd10}
        ).one()
    return row[0], row[1]


def _events(app: FastAPI, action: str) -> int:
    with app.state.engine.connect() as connection:
        query = text("SELECT COUNT(*) FROM audit_event WHERE action = :a")
        return int(connection.execute(query, {"a": action}).scalar_one())


def _suggestion_id(client: TestClient, icd10: str) -> str:
    items = client.get("/api/suggestions", params={"status": "", "limit": 500}).json()["items"]
    return str(next(item["id"] for item in items if item["icd10"] == icd10))


def test_queue_filters_and_sorts(world: dict[str, Any]) -> None:
    coder = world["coder"]
    assert _ids(coder) == ["I50.22", "J44.9", "I48.91", "E11.40", "E11.9", "Z86.73"]
    assert _ids(coder, clinician="dr.a") == ["J44.9", "I48.91", "E11.40", "E11.9"]
    assert _ids(coder, clinician="DR.B") == ["I50.22", "Z86.73"]  # the recorded name too
    assert _ids(coder, date_from="2026-10-01", date_to="2026-10-31") == ["J44.9"]
    assert _ids(coder, kind="undocumented") == ["I50.22", "I48.91"]
    assert _ids(coder, hcc="37") == ["E11.40"]
    assert _ids(coder, min_raf_delta=0.3) == ["I50.22", "J44.9"]
    assert _ids(coder, clinician="dr.a", kind="undocumented", hcc="238") == ["I48.91"]
    assert _ids(coder, status="accepted") == []
    oldest_first = _ids(coder, sort="age")
    assert oldest_first[:3] == ["I48.91", "E11.40", "E11.9"]  # stored first


@pytest.mark.parametrize("sort", ["raf", "age"])
def test_keyset_pages_walk_the_whole_queue_once(world: dict[str, Any], sort: str) -> None:
    coder = world["coder"]
    everything = _ids(coder, sort=sort)
    walked, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": sort}
        if cursor:
            params["after"] = cursor
        page = coder.get("/api/suggestions", params=params).json()
        walked += [item["icd10"] for item in page["items"]]
        assert page["total"] == 6
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert (walked, pages) == (everything, 3)
    offset = coder.get("/api/suggestions", params={"limit": 2, "offset": 2, "sort": sort}).json()
    assert [item["icd10"] for item in offset["items"]] == everything[2:4]


def test_bad_cursor_and_paging_limits_are_refused(world: dict[str, Any]) -> None:
    coder = world["coder"]
    assert coder.get("/api/suggestions", params={"after": "not-a-cursor"}).status_code == 422
    raf_cursor = coder.get("/api/suggestions", params={"limit": 1}).json()["next_cursor"]
    wrong = coder.get("/api/suggestions", params={"after": raf_cursor, "sort": "age"})
    assert wrong.status_code == 422 and "cursor" in wrong.json()["detail"]
    assert coder.get("/api/suggestions", params={"offset": 100_001}).status_code == 422


def test_bulk_status_is_all_or_nothing(world: dict[str, Any]) -> None:
    app, coder = world["app"], world["coder"]
    ids = [_suggestion_id(coder, code) for code in ("I48.91", "E11.40", "J44.9")]
    url = "/api/suggestions/bulk-status"
    missing = coder.post(url, json={"ids": [*ids, "nope"], "status": "accepted"})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert _status(app, "I48.91") == ("open", None)
    with app.state.engine.begin() as connection:
        connection.execute(
            text("UPDATE suggestion SET status = 'superseded' WHERE icd10 = 'J44.9'")
        )
    superseded = coder.post(url, json={"ids": ids, "status": "accepted"})
    assert superseded.status_code == 409 and _status(app, "I48.91") == ("open", None)
    assert coder.post(url, json={"ids": ids[:2], "status": "rejected"}).status_code == 422
    assert coder.post(url, json={"ids": [], "status": "accepted"}).status_code == 422
    before = _events(app, "suggestion.status")
    done = coder.post(url, json={"ids": ids[:2], "status": "deferred", "reason": "await labs"})
    assert done.status_code == 200, done.text
    assert done.json()["count"] == 2
    assert {item["status_by"] for item in done.json()["items"]} == {"user:kim"}
    assert _status(app, "E11.40") == ("deferred", "user:kim")
    assert _events(app, "suggestion.status") == before + 2
    assert _events(app, "suggestions.bulk_status") == 1


def test_query_lifecycle(world: dict[str, Any]) -> None:
    app, coder, dr_a, dr_b = world["app"], world["coder"], world["dr.a"], world["dr.b"]
    a1 = world["encounters"][0]
    target = _suggestion_id(coder, "I48.91")
    url = f"/api/encounters/{a1}/queries"
    leading = coder.post(
        url, json={"question": "Adding AFib would raise the RAF score.", "suggestion_id": target}
    )
    assert leading.status_code == 422 and "not neutral" in leading.json()["detail"]
    assert _status(app, "I48.91") == ("open", None)
    assert dr_a.post(url, json={"question": NEUTRAL}).status_code == 403  # coders ask
    asked = coder.post(url, json={"question": NEUTRAL, "suggestion_id": target})
    assert asked.status_code == 201, asked.text
    query = asked.json()
    assert (query["status"], query["asked_by"]) == ("open", "user:kim")
    assert _status(app, "I48.91") == ("queried", "user:kim")
    again = coder.post(url, json={"question": NEUTRAL, "suggestion_id": target})
    assert again.status_code == 409
    other = world["encounters"][2]
    assert (
        coder.post(
            url, json={"question": NEUTRAL, "suggestion_id": _suggestion_id(coder, "I50.22")}
        ).status_code
        == 404
    ), "a suggestion of another encounter"
    assert (
        coder.post(f"/api/encounters/{other}x/queries", json={"question": NEUTRAL}).status_code
        == 404
    )

    assert [item["id"] for item in dr_a.get("/api/queries").json()] == [query["id"]]
    assert dr_b.get("/api/queries").json() == []
    answer = f"/api/queries/{query['id']}/answer"
    assert dr_b.post(answer, json={"outcome": "amended", "answer": "x"}).status_code == 404
    assert coder.post(answer, json={"outcome": "amended", "answer": "x"}).status_code == 403
    assert dr_a.post(answer, json={"outcome": "maybe", "answer": "x"}).status_code == 422
    declined = dr_a.post(answer, json={"outcome": "declined", "answer": "Not present today."})
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["answered_by"]) == ("declined", "user:dr.a")
    assert _status(app, "I48.91") == ("rejected", "user:dr.a")
    assert dr_a.post(answer, json={"outcome": "amended", "answer": "x"}).status_code == 409
    assert dr_a.get("/api/queries").json() == []
    assert [item["status"] for item in coder.get("/api/queries?status=all").json()] == ["declined"]
    assert _events(app, "clinician_query.ask") == 1
    assert _events(app, "clinician_query.answer") == 1


def test_amended_answer_reopens_the_suggestion(world: dict[str, Any]) -> None:
    app, coder, dr_a = world["app"], world["coder"], world["dr.a"]
    target = _suggestion_id(coder, "E11.40")
    query = coder.post(
        f"/api/encounters/{world['encounters'][0]}/queries",
        json={"question": NEUTRAL, "suggestion_id": target},
    ).json()
    done = dr_a.post(
        f"/api/queries/{query['id']}/answer",
        json={"outcome": "amended", "answer": "Documented the neuropathy."},
    )
    assert done.status_code == 200
    assert _status(app, "E11.40") == ("open", "user:dr.a")


def test_coding_gap_report_csv_and_fhir(world: dict[str, Any]) -> None:
    coder = world["coder"]
    one, two = world["patients"]
    coder.post(
        f"/api/encounters/{world['encounters'][0]}/queries",
        json={"question": NEUTRAL, "suggestion_id": _suggestion_id(coder, "I48.91")},
    )
    response = coder.get("/api/coding-gaps", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(row["icd10"] for row in rows) == ["E11.40", "I48.91", "I50.22", "J44.9"]
    by_code = {row["icd10"]: row for row in rows}
    assert by_code["I48.91"]["gap_status"] == "pending"
    assert by_code["J44.9"]["gap_status"] == "open-gap"
    assert by_code["I50.22"]["patient_id"] == two

    bundle = coder.get("/api/coding-gaps", params={"format": "fhir", "year": 2026}).json()
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    reports = {
        entry["resource"]["subject"]["reference"]: entry["resource"] for entry in bundle["entry"]
    }
    assert set(reports) == {f"Patient/{one}", f"Patient/{two}"}
    report = reports[f"Patient/{one}"]
    assert report["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"
    ]
    assert (report["status"], report["type"]) == ("complete", "individual")
    assert report["period"] == {"start": "2026-01-01", "end": "2026-12-31"}
    assert report["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "ra"
    groups = {group["code"]["coding"][0]["code"]: group for group in report["group"]}
    assert set(groups) == {"238", "37", "280"}
    assert (
        groups["238"]["code"]["coding"][0]["system"]
        == "http://terminology.hl7.org/CodeSystem/cmshcc"
    )

    def ext(group: dict[str, Any], name: str) -> str:
        found = next(item for item in group["extension"] if item["url"].endswith(name))
        return str(found["valueCodeableConcept"]["coding"][0]["code"])

    assert ext(groups["238"], "ra-evidenceStatus") == "pending"
    assert ext(groups["280"], "ra-evidenceStatus") == "open-gap"
    assert ext(groups["280"], "ra-suspectType") == "historic"
    assert ext(groups["37"], "ra-suspectType") == "suspected"
    assert coder.get("/api/coding-gaps", params={"format": "xml"}).status_code == 422
    only = coder.get("/api/coding-gaps", params={"patient_id": two}).text
    assert "I50.22" in only and "J44.9" not in only


def test_roles(world: dict[str, Any]) -> None:
    dr_a, cara, coder, admin = world["dr.a"], world["cara"], world["coder"], world["admin"]
    assert dr_a.get("/queue", headers=HTML).status_code == 403
    assert cara.get("/queue", headers=HTML).status_code == 403
    assert dr_a.get("/api/coding-gaps").status_code == 403
    assert cara.get("/api/coding-gaps").status_code == 403
    assert cara.get("/api/queries").status_code == 403
    assert cara.get("/queries", headers=HTML).status_code == 403
    bulk = {"ids": ["x"], "status": "accepted"}
    assert dr_a.post("/api/suggestions/bulk-status", json=bulk).status_code == 403
    assert coder.get("/queue", headers=HTML).status_code == 200
    assert admin.get("/queue", headers=HTML).status_code == 200
    assert dr_a.get("/queries", headers=HTML).status_code == 200
    assert 'href="/queries"' in dr_a.get("/queries", headers=HTML).text
    assert 'href="/queue"' in coder.get("/queries", headers=HTML).text


def test_queue_page_filters_pages_and_audits_each_view(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, coder = world["app"], world["coder"]
    before = _events(app, "suggestions.queue.read")
    page = coder.get("/queue", params={"clinician": "dr.a", "kind": "undocumented"}, headers=HTML)
    assert page.status_code == 200
    assert "I48.91" in page.text and "I50.22" not in page.text
    assert "quote for I48.91" in page.text and "/encounters/" in page.text
    assert "Please document the status of I48.91" in page.text  # the neutral query prefilled
    assert f'name="{CSRF_FIELD}"' in page.text
    assert _events(app, "suggestions.queue.read") == before + 1
    bad = coder.get("/queue", params={"date_from": "yesterday", "min_raf": "lots"}, headers=HTML)
    assert bad.status_code == 200 and "not a date" in bad.text and "not a number" in bad.text

    monkeypatch.setattr(pages_queue, "PAGE_SIZE", 2)
    first = coder.get("/queue", params={"sort": "raf"}, headers=HTML)
    assert "I50.22" in first.text and "I48.91" not in first.text
    next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = coder.get(next_url.replace("&amp;", "&"), headers=HTML)
    assert "I48.91" in second.text and "I50.22" not in second.text and "First page" in second.text
    assert coder.get("/queue?after=garbage", headers=HTML).status_code == 422


def _form_client(app: FastAPI, client: TestClient) -> tuple[TestClient, str]:
    """A copy of `client` that sends the CSRF token as a form field, not a header."""
    plain = TestClient(app)
    plain.cookies = client.cookies
    return plain, client.headers[CSRF_HEADER]


def test_bulk_form_on_the_page(world: dict[str, Any]) -> None:
    app, coder = world["app"], world["coder"]
    form_client, token = _form_client(app, coder)
    ids = [_suggestion_id(coder, code) for code in ("I48.91", "E11.40")]
    back = "kind=undocumented&evil=https://example.org"
    no_token = form_client.post(
        "/queue/bulk", data={"ids": ids, "action": "accepted"}, headers=HTML
    )
    assert no_token.status_code == 403
    refused = form_client.post(
        "/queue/bulk",
        data={CSRF_FIELD: token, "ids": [*ids, "nope"], "action": "accepted", "back": back},
        headers=HTML,
    )
    assert refused.status_code == 404 and "Nothing was changed" in refused.text
    assert _status(app, "I48.91") == ("open", None)
    no_reason = form_client.post(
        "/queue/bulk", data={CSRF_FIELD: token, "ids": ids, "action": "rejected"}, headers=HTML
    )
    assert no_reason.status_code == 422 and "reason is required" in no_reason.text
    done = form_client.post(
        "/queue/bulk",
        data={CSRF_FIELD: token, "ids": ids, "action": "accepted", "back": back},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/queue?kind=undocumented&done=accepted&count=2"
    assert _status(app, "E11.40") == ("accepted", "user:kim")
    shown = form_client.get(done.headers["location"], headers=HTML)
    assert "2 suggestions accepted." in shown.text


def test_query_and_answer_forms_on_the_pages(world: dict[str, Any]) -> None:
    app, coder, dr_a = world["app"], world["coder"], world["dr.a"]
    a1 = world["encounters"][0]
    target = _suggestion_id(coder, "I48.91")
    form_client, token = _form_client(app, coder)
    fields = {CSRF_FIELD: token, "encounter_id": a1, "suggestion_id": target}
    leading = form_client.post(
        "/queue/query", data={**fields, "question": "Coding this improves the HCC capture."}
    )
    assert leading.status_code == 422 and "not neutral" in leading.text
    sent = form_client.post(
        "/queue/query", data={**fields, "question": NEUTRAL}, follow_redirects=False
    )
    assert sent.status_code == 303 and "done=queried" in sent.headers["location"]

    listed = dr_a.get("/queries", headers=HTML)
    assert "irregular heartbeat" in listed.text and "asked by user:kim" in listed.text
    assert "irregular heartbeat" not in world["dr.b"].get("/queries", headers=HTML).text
    query_id = listed.text.split('action="/queries/')[1].split("/answer")[0]
    clinician_form, clinician_token = _form_client(app, dr_a)
    answered = clinician_form.post(
        f"/queries/{query_id}/answer",
        data={CSRF_FIELD: clinician_token, "outcome": "amended", "answer": "Added the rhythm."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    after = dr_a.get(answered.headers["location"], headers=HTML)
    assert "Your answer (amended) was recorded." in after.text and "No open queries" in after.text
    assert _status(app, "I48.91") == ("open", "user:dr.a")


def test_migration_0103_matches_the_tables(app: FastAPI) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    ours = {"suggestion", "clinician_query"}
    with app.state.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [diff for diff in diffs if ours & set(str(diff).split("'"))] == []
