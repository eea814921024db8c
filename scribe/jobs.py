"""Durable jobs: enqueue, claim under a lease, renew, finish, fail.

A worker claims a job by incrementing its attempt counter; every later write by that worker is
fenced on (job id, attempt, status running), so a write from an attempt whose lease expired and
was re-claimed is refused with `StaleAttempt` and rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from scribe.audit import record_event
from scribe.db import transaction
from scribe.tables import Encounter, Job, utcnow

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
RETRY_DELAY_SECONDS = 2.0


class StaleAttempt(RuntimeError):
    """This attempt no longer owns the job (its lease expired and another attempt took over)."""


class PermanentJobError(RuntimeError):
    """A failure that retrying cannot fix (e.g. corrupt audio); the job fails at once."""


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one attempt of one job."""

    job_id: str
    kind: str
    attempt: int
    worker_id: str
    encounter_id: str | None
    payload: dict[str, Any]


def enqueue(
    session: Session,
    *,
    kind: str,
    encounter_id: str | None,
    payload: dict[str, Any],
    max_attempts: int,
) -> Job:
    """Add a job row in the caller's transaction."""
    job = Job(kind=kind, encounter_id=encounter_id, payload=payload, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def _fail_exhausted_leases(session: Session) -> None:
    """Jobs whose last allowed attempt died mid-run are failed, never retried forever."""
    now = utcnow()
    stuck = session.exec(
        select(Job).where(
            Job.status == RUNNING,
            col(Job.lease_expires_at) < now,
            col(Job.attempts) >= col(Job.max_attempts),
        )
    ).all()
    for job in stuck:
        job.status = FAILED
        job.last_error = (
            f"gave up after {job.attempts} attempts: the last attempt's lease expired "
            "(worker stopped or crashed)"
        )
        job.finished_at = now
        job.updated_at = now
        session.add(job)
        claim = Claim(job.id, job.kind, job.attempts, "", job.encounter_id, job.payload)
        _record_final_failure(session, claim, job.last_error)


def claim_next(
    engine: Engine, *, worker_id: str, lease_seconds: float, kinds: tuple[str, ...]
) -> Claim | None:
    """Claim the oldest runnable job (queued and due, or running with an expired lease)."""
    now = utcnow()
    with transaction(engine) as session:
        _fail_exhausted_leases(session)
        runnable = or_(
            (col(Job.status) == QUEUED) & (col(Job.run_after) <= now),
            (col(Job.status) == RUNNING) & (col(Job.lease_expires_at) < now),
        )
        job = session.exec(
            select(Job)
            .where(runnable, col(Job.kind).in_(kinds))
            .order_by(col(Job.created_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job.status = RUNNING
        job.attempts += 1
        job.lease_owner = worker_id
        job.lease_expires_at = now + timedelta(seconds=lease_seconds)
        job.updated_at = now
        session.add(job)
        return Claim(job.id, job.kind, job.attempts, worker_id, job.encounter_id, job.payload)


def _fenced_update(session: Session, claim: Claim, **values: Any) -> None:
    result = session.execute(
        update(Job)
        .where(
            col(Job.id) == claim.job_id,
            col(Job.attempts) == claim.attempt,
            col(Job.status) == RUNNING,
        )
        .values(updated_at=utcnow(), **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleAttempt(f"job {claim.job_id} attempt {claim.attempt} no longer owns the job")


def assert_owned(session: Session, claim: Claim) -> None:
    """Refuse (StaleAttempt) unless this attempt still owns the job; use before writing output."""
    _fenced_update(session, claim)


def renew_lease(engine: Engine, claim: Claim, *, lease_seconds: float) -> None:
    """Extend the lease of a running attempt; raises StaleAttempt if it was lost."""
    with transaction(engine) as session:
        _fenced_update(session, claim, lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))


def complete(session: Session, claim: Claim) -> None:
    """Mark the job succeeded, in the same transaction as the stage's output."""
    _fenced_update(
        session,
        claim,
        status=SUCCEEDED,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=utcnow(),
        last_error=None,
    )


def fail(engine: Engine, claim: Claim, *, reason: str, permanent: bool, max_attempts: int) -> str:
    """Record a failed attempt: retry later, or fail for good. Returns the new status."""
    final = permanent or claim.attempt >= max_attempts
    status = FAILED if final else QUEUED
    if final and not permanent:
        reason = f"gave up after {claim.attempt} attempts: {reason}"
    with transaction(engine) as session:
        _fenced_update(
            session,
            claim,
            status=status,
            last_error=reason[:2000],
            lease_owner=None,
            lease_expires_at=None,
            run_after=utcnow() + timedelta(seconds=RETRY_DELAY_SECONDS * claim.attempt),
            finished_at=utcnow() if final else None,
        )
        if final:
            _record_final_failure(session, claim, reason)
    return status


def _record_final_failure(session: Session, claim: Claim, reason: str) -> None:
    """Show the failure on the encounter and in the audit trail."""
    encounter = session.get(Encounter, claim.encounter_id) if claim.encounter_id else None
    if encounter is not None:
        encounter.status = "failed"
        session.add(encounter)
    record_event(
        session,
        actor="system:worker",
        action="job.failed",
        outcome="failure",
        patient_id=encounter.patient_id if encounter else None,
        encounter_id=claim.encounter_id,
        subject=f"job/{claim.job_id}",
        details={"kind": claim.kind, "attempt": claim.attempt, "reason": reason[:500]},
    )
