"""The sign-off gate and submissions, straight against the domain functions and the worker."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from coding import migrations as coding_migrations
from coding.delivery import DeliveryHandler, DirectoryDestination, FhirServerDestination
from coding.fhir import ICD10CM, SUBMISSION_SYSTEM
from coding.services import change_status
from coding.submission import (
    SUBMIT_JOB,
    edit_note,
    invalidate_pending,
    submit_encounter,
    supports,
)
from coding.tables import Submission, SuggestionRecord
from scribe import jobs
from scribe.db import make_engine, transaction, upgrade_database
from scribe.jobs import PermanentJobError
from scribe.services import Conflict
from scribe.signoff import ATTESTATION_STATEMENT, save_note_edit, sign_note
from scribe.tables import AuditEvent, Job, NoteDraftRecord, NoteSignature
from scribe.worker import Worker
from tests.coding.signoff_data import (
    AFIB_PROMPT,
    COPD,
    DIABETES,
    NOTE_PROVENANCE,
    accept,
    edit_of,
    make_encounter,
    store_note,
    store_suggestions,
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    """A fresh database with the core and coding tables (`engine` is the NLP engine here)."""
    url = f"sqlite:///{tmp_path / 'submission.db'}"
    upgrade_database(url, extra_locations=[coding_migrations.versions_dir()])
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def encounter_id(db: Engine) -> str:
    """An encounter with note version 1 and three suggestions, two of them accepted."""
    with transaction(db) as session:
        encounter_id = make_encounter(session)
        note = store_note(session, encounter_id)
        diabetes, copd, _afib = store_suggestions(session, note, DIABETES, COPD, AFIB_PROMPT)
        accept(session, diabetes)
        accept(session, copd)
    return encounter_id


def _sign(db: Engine, encounter_id: str, version: int) -> NoteSignature:
    with transaction(db) as session:
        return sign_note(
            session=session,
            encounter_id=encounter_id,
            version=version,
            signer="user:dr",
            attestation=ATTESTATION_STATEMENT,
        )


def _submit(db: Engine, encounter_id: str) -> tuple[Submission, bool]:
    with transaction(db) as session:
        return submit_encounter(session=session, encounter_id=encounter_id, actor="user:dr")


def _amend(db: Engine, encounter_id: str, replace: dict[str, str]) -> list[Submission]:
    with transaction(db) as session:
        newest = session.exec(
            select(NoteDraftRecord).order_by(NoteDraftRecord.version.desc())  # type: ignore[attr-defined]
        ).first()
        assert newest is not None
        _, created, invalidated = edit_note(
            session=session,
            encounter_id=encounter_id,
            base_version=newest.version,
            sections=edit_of(newest, replace),
            actor="user:dr",
            amendment_reason="clarified on review",
        )
        assert created
        return invalidated


def _count(db: Engine, model: Any, *where: Any) -> int:
    with Session(db) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _worker(db: Engine, directory: Path) -> Worker:
    handlers = {SUBMIT_JOB: DeliveryHandler(DirectoryDestination(directory))}
    return Worker(db, handlers, lease_seconds=30, max_attempts=3, poll_seconds=0.01)


# --- the gate ------------------------------------------------------------------------------


def test_no_submission_before_sign_off(db: Engine, encounter_id: str) -> None:
    with pytest.raises(Conflict, match="not signed"):
        _submit(db, encounter_id)
    assert _count(db, Submission) == 0 and _count(db, Job) == 0


def test_no_submission_without_a_note_or_without_accepted_codes(db: Engine) -> None:
    with transaction(db) as session:
        bare = make_encounter(session)
    with pytest.raises(Conflict, match="no note"):
        _submit(db, bare)
    with transaction(db) as session:
        note = store_note(session, bare)
        store_suggestions(session, note, DIABETES)
    _sign(db, bare, 1)
    with pytest.raises(Conflict, match="nothing to submit"):
        _submit(db, bare)


def test_a_signed_encounter_submits_once(db: Engine, encounter_id: str) -> None:
    _sign(db, encounter_id, 1)
    first, created = _submit(db, encounter_id)
    again, created_again = _submit(db, encounter_id)
    assert created and not created_again and again.id == first.id
    assert _count(db, Submission) == 1 and _count(db, Job, Job.kind == SUBMIT_JOB) == 1
    with Session(db) as session:
        codes = sorted(e["resource"]["code"]["coding"][0]["code"] for e in _conditions(first))
        assert codes == ["E11.42", "J44.9"]
        assert first.provenance["rules_versions"] == ["coding-7"]
        components = {item["component"] for item in first.provenance["components"]}
        assert components == {"grounded-drafter", "medspacy-suggester"}
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("submission.create") == 1


def test_an_accepted_code_the_signed_note_no_longer_supports_blocks_submission(
    db: Engine, encounter_id: str
) -> None:
    _amend(db, encounter_id, {"ap-3": "Lungs clear; no chronic lung disease."})
    _sign(db, encounter_id, 2)
    with pytest.raises(Conflict, match="J44.9"):
        _submit(db, encounter_id)
    with transaction(db) as session:
        copd = session.exec(select(SuggestionRecord).where(SuggestionRecord.icd10 == "J44.9")).one()
        change_status(
            session=session,
            suggestion_id=copd.id,
            status="rejected",
            reason="not present",
            actor="user:dr",
        )
    submission, _ = _submit(db, encounter_id)
    assert [e["resource"]["code"]["coding"][0]["code"] for e in _conditions(submission)] == [
        "E11.42"
    ]


def test_only_documented_accepted_codes_support_the_note(db: Engine, encounter_id: str) -> None:
    with transaction(db) as session:
        note = session.exec(select(NoteDraftRecord)).one()
        rows = session.exec(select(SuggestionRecord).order_by(SuggestionRecord.position)).all()
        diabetes, _copd, afib = rows
        assert supports(diabetes, note) is None
        assert "not an accepted code" in (supports(afib, note) or "")
        accept(session, afib)
        assert "undocumented" in (supports(afib, note) or "")
    _sign(db, encounter_id, 1)
    with pytest.raises(Conflict, match="I48.91"):
        _submit(db, encounter_id)


# --- edits after sign-off ------------------------------------------------------------------


def test_an_edit_after_sign_off_invalidates_the_pending_submission(
    db: Engine, encounter_id: str, tmp_path: Path
) -> None:
    _sign(db, encounter_id, 1)
    first, _ = _submit(db, encounter_id)
    invalidated = _amend(db, encounter_id, {"ap-2": "Continue metformin 500 mg twice daily."})
    assert [row.id for row in invalidated] == [first.id]
    with Session(db) as session:
        stored = session.get(Submission, first.id)
        assert stored is not None and stored.status == "invalidated"
    with pytest.raises(Conflict, match="not signed"):
        _submit(db, encounter_id)
    # The queued delivery of the invalidated submission runs and delivers nothing.
    outbox = tmp_path / "outbox"
    assert _worker(db, outbox).run_once()
    assert not outbox.exists() or not list(outbox.iterdir())
    second_signature = _sign(db, encounter_id, 2)
    second, created = _submit(db, encounter_id)
    assert created and second.id != first.id and second.signature_id == second_signature.id
    assert second.replaces_id is None  # the first was never delivered
    document = _resource(second, "DocumentReference")
    assert document["docStatus"] == "amended"
    with Session(db) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert {"note.amend", "submission.invalidate"} <= set(actions)


def test_delivery_rechecks_the_gate_even_when_the_edit_bypassed_invalidation(
    db: Engine, encounter_id: str, tmp_path: Path
) -> None:
    _sign(db, encounter_id, 1)
    submission, _ = _submit(db, encounter_id)
    with transaction(db) as session:  # the scribe-level edit alone, without invalidate_pending
        note = session.exec(select(NoteDraftRecord)).one()
        save_note_edit(
            session=session,
            encounter_id=encounter_id,
            base_version=1,
            sections=edit_of(note, {"hpi-1": "Numbness in both feet for a year."}),
            actor="user:dr",
            amendment_reason="history detail",
        )
    outbox = tmp_path / "outbox"
    assert _worker(db, outbox).run_once()
    with Session(db) as session:
        stored = session.get(Submission, submission.id)
        assert stored is not None and stored.status == "invalidated"
        assert "edited" in (stored.invalidated_reason or "")
    assert not outbox.exists() or not list(outbox.iterdir())


def test_a_delivered_submission_is_not_invalidated_and_an_amendment_replaces_it(
    db: Engine, encounter_id: str, tmp_path: Path
) -> None:
    _sign(db, encounter_id, 1)
    first, _ = _submit(db, encounter_id)
    assert _worker(db, tmp_path / "outbox").run_once()
    assert _amend(db, encounter_id, {"hpi-1": "Numbness in both feet."}) == []
    _sign(db, encounter_id, 2)
    second, _ = _submit(db, encounter_id)
    assert second.replaces_id == first.id
    relates = _resource(second, "DocumentReference")["relatesTo"][0]
    assert relates["target"]["identifier"]["value"] == first.id


# --- delivery ------------------------------------------------------------------------------


def test_delivery_writes_the_bundle_to_the_directory_exactly_once(
    db: Engine, encounter_id: str, tmp_path: Path
) -> None:
    _sign(db, encounter_id, 1)
    submission, _ = _submit(db, encounter_id)
    outbox = tmp_path / "outbox"
    worker = _worker(db, outbox)
    assert worker.run_once()
    target = outbox / f"{submission.id}.json"
    written = target.stat()
    assert json.loads(target.read_bytes())["identifier"]["value"] == submission.id
    # The same delivery queued again (a duplicate job) writes nothing and records nothing new.
    with transaction(db) as session:
        jobs.enqueue(
            session,
            kind=SUBMIT_JOB,
            encounter_id=encounter_id,
            payload={"submission_id": submission.id},
            max_attempts=3,
        )
    assert worker.run_once()
    assert (
        target.stat().st_mtime_ns == written.st_mtime_ns and target.stat().st_ino == written.st_ino
    )
    assert sorted(p.name for p in outbox.iterdir()) == [target.name]
    assert _count(db, AuditEvent, AuditEvent.action == "submission.deliver") == 1
    with Session(db) as session:
        stored = session.get(Submission, submission.id)
        assert stored is not None
        assert (stored.status, stored.attempts, stored.delivery_ref) == (
            "delivered",
            1,
            str(target),
        )
        assert hashlib.sha256(target.read_bytes()).hexdigest() == stored.bundle_sha256


class _LostAcknowledgement:
    """Delivers, then fails once as if the process died before recording the delivery."""

    def __init__(self, inner: DirectoryDestination) -> None:
        self.inner = inner
        self.description = inner.description
        self.calls = 0

    def deliver(self, submission_id: str, payload: bytes) -> str:
        self.calls += 1
        reference = self.inner.deliver(submission_id, payload)
        if self.calls == 1:
            raise RuntimeError("connection lost after writing")
        return reference


def test_a_retry_after_a_lost_acknowledgement_does_not_deliver_twice(
    db: Engine, encounter_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "RETRY_DELAY_SECONDS", 0.0)
    _sign(db, encounter_id, 1)
    submission, _ = _submit(db, encounter_id)
    outbox = tmp_path / "outbox"
    destination = _LostAcknowledgement(DirectoryDestination(outbox))
    worker = Worker(
        db,
        {SUBMIT_JOB: DeliveryHandler(destination)},
        lease_seconds=30,
        max_attempts=3,
        poll_seconds=0.01,
    )
    assert worker.run_once()
    with Session(db) as session:
        stored = session.get(Submission, submission.id)
        assert stored is not None and stored.status == "pending"
        assert "connection lost" in (stored.last_error or "")
    assert worker.run_once()
    assert destination.calls == 2
    assert [p.name for p in outbox.iterdir()] == [f"{submission.id}.json"]
    with Session(db) as session:
        stored = session.get(Submission, submission.id)
        assert stored is not None and (stored.status, stored.attempts) == ("delivered", 2)


def test_a_different_file_under_the_same_name_is_never_overwritten(tmp_path: Path) -> None:
    destination = DirectoryDestination(tmp_path)
    (tmp_path / "abc.json").write_bytes(b"{}")
    with pytest.raises(PermanentJobError):
        destination.deliver("abc", b'{"resourceType":"Bundle"}')
    assert (tmp_path / "abc.json").read_bytes() == b"{}"


class _FakeFhirServer:
    """Stores POSTed Bundles and honours If-None-Exist on the identifier."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        assert request.url.path == "/fhir/Bundle"
        condition = httpx.QueryParams(request.headers["If-None-Exist"])["identifier"]
        if condition in self.stored:
            return httpx.Response(200, json={"resourceType": "Bundle"})
        self.stored[condition] = request.content
        return httpx.Response(
            201,
            headers={"Location": f"https://fhir.test/fhir/Bundle/{len(self.stored)}/_history/1"},
        )


def test_fhir_server_delivery_is_a_conditional_create(tmp_path: Path) -> None:
    server = _FakeFhirServer()
    destination = FhirServerDestination(
        "https://fhir.test/fhir/", transport=httpx.MockTransport(server)
    )
    first = destination.deliver("sub-1", b'{"resourceType":"Bundle"}')
    second = destination.deliver("sub-1", b'{"resourceType":"Bundle"}')
    assert server.requests == 2 and list(server.stored) == [f"{SUBMISSION_SYSTEM}|sub-1"]
    assert first.endswith("/Bundle/1/_history/1") and second.startswith("https://fhir.test/fhir")

    def answer(status: int) -> FhirServerDestination:
        return FhirServerDestination(
            "https://fhir.test/fhir",
            transport=httpx.MockTransport(lambda _request: httpx.Response(status)),
        )

    with pytest.raises(RuntimeError, match="retry"):
        answer(503).deliver("sub-2", b"{}")
    with pytest.raises(PermanentJobError):
        answer(400).deliver("sub-2", b"{}")


# --- the Bundle ----------------------------------------------------------------------------


def _conditions(submission: Submission) -> list[dict[str, Any]]:
    return [
        entry
        for entry in submission.bundle["entry"]
        if entry["resource"]["resourceType"] == "Condition"
    ]


def _resource(submission: Submission, resource_type: str) -> dict[str, Any]:
    found = [
        e["resource"]
        for e in submission.bundle["entry"]
        if e["resource"]["resourceType"] == resource_type
    ]
    assert len(found) == 1, resource_type
    return found[0]


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


REQUIRED = {
    "Patient": (),
    "Encounter": ("status", "class", "subject"),
    "Practitioner": (),
    "DocumentReference": ("status", "content", "subject"),
    "Condition": ("subject", "code", "category", "clinicalStatus", "verificationStatus"),
    "Provenance": ("target", "recorded", "agent"),
}


def check_bundle_structure(bundle: dict[str, Any]) -> None:
    """A structural check of the R4 Bundle: required fields present, references resolve."""
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["identifier"]["system"] == SUBMISSION_SYSTEM and bundle["timestamp"]
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(url.startswith("urn:uuid:") for url in urls)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for field in REQUIRED[resource["resourceType"]]:
            assert resource.get(field), f"{resource['resourceType']}.{field} missing"
    assert set(_references(bundle)) <= set(urls), "every reference resolves inside the Bundle"
    for agent in _resource_of(bundle, "Provenance")["agent"]:
        assert agent["who"], "Provenance.agent.who is required"
    for content in _resource_of(bundle, "DocumentReference")["content"]:
        assert content["attachment"]["contentType"] and content["attachment"]["data"]


def _resource_of(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    )


def test_the_bundle_carries_the_signed_note_conditions_and_sign_off(
    db: Engine, encounter_id: str
) -> None:
    signature = _sign(db, encounter_id, 1)
    submission, _ = _submit(db, encounter_id)
    bundle = submission.bundle
    check_bundle_structure(bundle)
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}
    for entry in _conditions(submission):
        condition = entry["resource"]
        assert condition["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
        assert condition["code"]["coding"][0]["system"] == ICD10CM
        assert condition["encounter"]["reference"] == urls["Encounter"]
        assert condition["evidence"][0]["detail"][0]["reference"] == urls["DocumentReference"]
    document = _resource(submission, "DocumentReference")
    text_part, signed_part = (c["attachment"] for c in document["content"])
    assert "Type 2 diabetes with diabetic polyneuropathy" in base64.b64decode(
        text_part["data"]
    ).decode("utf-8")
    signed_bytes = base64.b64decode(signed_part["data"])
    assert hashlib.sha256(signed_bytes).hexdigest() == signature.content_sha256
    assert base64.b64decode(signed_part["hash"]) == hashlib.sha1(signed_bytes).digest()  # noqa: S324
    provenance = _resource(submission, "Provenance")
    targets = {t["reference"] for t in provenance["target"]}
    assert targets == {urls["DocumentReference"]} | {e["fullUrl"] for e in _conditions(submission)}
    assert provenance["recorded"].startswith(signature.signed_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert provenance["agent"][0]["who"]["reference"] == urls["Practitioner"]
    flat = json.dumps(provenance["extension"])
    assert NOTE_PROVENANCE.model_sha256 in flat and "coding-7" in flat and "FY2026" in flat
    assert ATTESTATION_STATEMENT in flat


def test_invalidate_pending_leaves_nothing_pending(db: Engine, encounter_id: str) -> None:
    _sign(db, encounter_id, 1)
    _submit(db, encounter_id)
    with transaction(db) as session:
        done = invalidate_pending(
            session=session, encounter_id=encounter_id, reason="test", actor="user:dr"
        )
    assert len(done) == 1 and _count(db, Submission, Submission.status == "pending") == 0
