"""Outbox delivery of submissions (job `submit`): to a directory, or to a FHIR server.

Delivery is idempotent end to end. A submission is delivered only while it is pending and its
note version is still the newest and signed; a directory delivery creates `<id>.json` with a
hard link from a fully written temporary file, so it appears whole or not at all and is never
written twice (a retry that finds it with the same content records it as delivered); a FHIR
server delivery is a conditional create (`If-None-Exist` on the Bundle identifier), so a retry
after a lost response does not create a second Bundle.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine

from coding.fhir import SUBMISSION_SYSTEM
from coding.submission import DELIVERED, PENDING, bundle_bytes, invalidate, stale_reason
from coding.tables import Submission
from scribe import jobs
from scribe.audit import record_event
from scribe.db import transaction
from scribe.jobs import Claim, PermanentJobError
from scribe.pipeline import WORKER_ACTOR
from scribe.services import get_encounter_row
from scribe.tables import utcnow

__all__ = ["DeliveryHandler", "Destination", "DirectoryDestination", "FhirServerDestination"]

logger = logging.getLogger(__name__)


class Destination(Protocol):
    """Where submissions go. `deliver` must be idempotent per submission id."""

    description: str

    def deliver(self, submission_id: str, payload: bytes) -> str:
        """Deliver the Bundle bytes once; return where they are (a path or a URL)."""
        ...


class DirectoryDestination:
    """Writes each Bundle to `<directory>/<submission id>.json`, atomically and only once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"directory:{directory}"

    def deliver(self, submission_id: str, payload: bytes) -> str:
        """Create the file unless it exists; an existing file must hold the same bytes."""
        target = self.directory / f"{submission_id}.json"
        if target.exists():
            return self._already_there(target, payload)
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / f".{submission_id}.{uuid.uuid4().hex}.tmp"
        try:
            with temporary.open("xb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, target)  # atomic create-if-absent: never replaces a file
            except FileExistsError:
                return self._already_there(target, payload)
        finally:
            temporary.unlink(missing_ok=True)
        self._sync_directory()
        return str(target)

    @staticmethod
    def _already_there(target: Path, payload: bytes) -> str:
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        if digest != hashlib.sha256(payload).hexdigest():
            raise PermanentJobError(f"{target.name} already exists with different content")
        return str(target)

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class FhirServerDestination:
    """POSTs each Bundle to `<base>/Bundle` as a conditional create on its identifier."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.description = f"fhir:{self.base_url}"
        self._timeout = timeout_seconds
        self._transport = transport

    def deliver(self, submission_id: str, payload: bytes) -> str:
        """Create the Bundle unless one with its identifier exists; return its location."""
        condition = urlencode({"identifier": f"{SUBMISSION_SYSTEM}|{submission_id}"})
        with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
            response = client.post(
                f"{self.base_url}/Bundle",
                content=payload,
                headers={
                    "Content-Type": "application/fhir+json",
                    "Accept": "application/fhir+json",
                    "If-None-Exist": condition,
                },
            )
        if response.status_code in (200, 201):
            return response.headers.get("location") or f"{self.base_url}/Bundle?{condition}"
        if response.status_code == 412:
            raise PermanentJobError("the FHIR server holds several Bundles with this identifier")
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise PermanentJobError(f"the FHIR server refused the Bundle ({response.status_code})")
        raise RuntimeError(f"the FHIR server answered {response.status_code}; will retry")


class DeliveryHandler:
    """Job `submit`: deliver one pending submission to the configured destination."""

    def __init__(self, destination: Destination) -> None:
        self._destination = destination

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Run one delivery attempt."""
        submission_id = str(claim.payload["submission_id"])
        payload = self._prepare(claim, engine, submission_id)
        if payload is None:
            return
        try:
            reference = self._destination.deliver(submission_id, payload)
        except Exception as error:
            self._note_error(engine, submission_id, error)
            raise
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            submission = session.get(Submission, submission_id)
            assert submission is not None
            raced = submission.status != PENDING
            submission.status = DELIVERED
            submission.delivered_at = utcnow()
            submission.destination = self._destination.description
            submission.delivery_ref = reference
            submission.last_error = None
            session.add(submission)
            encounter = get_encounter_row(session, submission.encounter_id)
            record_event(
                session,
                actor=WORKER_ACTOR,
                action="submission.deliver",
                patient_id=encounter.patient_id,
                encounter_id=encounter.id,
                subject=f"submission/{submission.id}",
                details={
                    "destination": self._destination.description.split(":", 1)[0],
                    "attempt": submission.attempts,
                    "bundle_sha256": submission.bundle_sha256,
                    "delivered_after_invalidation": raced,
                },
            )
            jobs.complete(session, claim)
        logger.info("submission %s delivered (attempt %s)", submission_id, claim.attempt)

    def _prepare(self, claim: Claim, engine: Engine, submission_id: str) -> bytes | None:
        """The bytes to deliver, or None when there is nothing to deliver (job completed)."""
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            submission = session.get(Submission, submission_id)
            if submission is None:
                raise PermanentJobError(f"submission {submission_id} no longer exists")
            if submission.status == PENDING and (reason := stale_reason(session, submission)):
                invalidate(session, submission, reason=reason, actor=WORKER_ACTOR)
            if submission.status != PENDING:
                jobs.complete(session, claim)
                return None
            submission.attempts += 1
            session.add(submission)
            return bundle_bytes(submission.bundle)

    @staticmethod
    def _note_error(engine: Engine, submission_id: str, error: Exception) -> None:
        with transaction(engine) as session:
            submission = session.get(Submission, submission_id)
            if submission is not None:
                submission.last_error = f"{type(error).__name__}: {error}"[:2000]
                session.add(submission)
