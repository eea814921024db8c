"""Durable jobs: leases, attempt fencing, retries with a limit, and the worker loop."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scribe import jobs
from scribe.db import transaction
from scribe.jobs import Claim, PermanentJobError, StaleAttempt
from scribe.tables import AuditEvent, Encounter, Job, Patient
from scribe.worker import Worker


def _encounter(engine: Engine) -> str:
    with transaction(engine) as session:
        patient = Patient(birth_date=date(1950, 1, 1), sex="F")
        session.add(patient)
        session.flush()
        encounter = Encounter(patient_id=patient.id, date_of_service=date(2026, 11, 1))
        session.add(encounter)
        session.flush()
        return encounter.id


def _enqueue(engine: Engine, kind: str = "work", max_attempts: int = 3) -> str:
    encounter_id = _encounter(engine)
    with transaction(engine) as session:
        return jobs.enqueue(
            session,
            kind=kind,
            encounter_id=encounter_id,
            payload={"n": 1},
            max_attempts=max_attempts,
        ).id


def _job(engine: Engine, job_id: str) -> Job:
    with transaction(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_claim_takes_a_queued_job_once(engine: Engine) -> None:
    job_id = _enqueue(engine)
    first = jobs.claim_next(engine, worker_id="w1", lease_seconds=30, kinds=("work",))
    second = jobs.claim_next(engine, worker_id="w2", lease_seconds=30, kinds=("work",))
    assert first is not None and first.job_id == job_id and first.attempt == 1
    assert second is None


def test_expired_lease_is_reclaimed_and_old_attempt_cannot_write(engine: Engine) -> None:
    job_id = _enqueue(engine)
    old = jobs.claim_next(engine, worker_id="w1", lease_seconds=0.05, kinds=("work",))
    time.sleep(0.1)
    new = jobs.claim_next(engine, worker_id="w2", lease_seconds=30, kinds=("work",))
    assert old is not None and new is not None and new.attempt == 2
    with pytest.raises(StaleAttempt), transaction(engine) as session:
        jobs.complete(session, old)
    with pytest.raises(StaleAttempt):
        jobs.renew_lease(engine, old, lease_seconds=30)
    with transaction(engine) as session:
        jobs.complete(session, new)
    assert _job(engine, job_id).status == jobs.SUCCEEDED


def test_failures_retry_then_fail_with_reason(engine: Engine) -> None:
    job_id = _enqueue(engine, max_attempts=3)
    for attempt in range(1, 4):
        with transaction(engine) as session:
            session.get(Job, job_id).run_after = jobs.utcnow()  # type: ignore[union-attr]
        claim = jobs.claim_next(engine, worker_id="w", lease_seconds=30, kinds=("work",))
        assert claim is not None and claim.attempt == attempt
        jobs.fail(engine, claim, reason="model crashed", permanent=False, max_attempts=3)
    job = _job(engine, job_id)
    assert job.status == jobs.FAILED
    assert job.last_error == "gave up after 3 attempts: model crashed"
    assert jobs.claim_next(engine, worker_id="w", lease_seconds=30, kinds=("work",)) is None
    with transaction(engine) as session:
        assert session.get(Encounter, job.encounter_id).status == "failed"  # type: ignore[union-attr]
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions == ["job.failed"]


def test_dead_last_attempt_is_failed_not_retried_forever(engine: Engine) -> None:
    job_id = _enqueue(engine, max_attempts=1)
    assert jobs.claim_next(engine, worker_id="w", lease_seconds=0.01, kinds=("work",))
    time.sleep(0.05)
    assert jobs.claim_next(engine, worker_id="w", lease_seconds=30, kinds=("work",)) is None
    job = _job(engine, job_id)
    assert job.status == jobs.FAILED
    assert "lease expired" in (job.last_error or "")


class _Handler:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[Claim] = []

    def __call__(self, claim: Claim, engine: Engine) -> None:
        self.calls.append(claim)
        if self.error is not None:
            raise self.error
        with transaction(engine) as session:
            jobs.complete(session, claim)


def _worker(engine: Engine, handler: _Handler, lease: float = 30) -> Worker:
    return Worker(engine, {"work": handler}, lease_seconds=lease, max_attempts=3, poll_seconds=0.01)


def test_worker_runs_a_job_to_success(engine: Engine) -> None:
    job_id = _enqueue(engine)
    handler = _Handler()
    assert _worker(engine, handler).run_once()
    assert len(handler.calls) == 1
    assert _job(engine, job_id).status == jobs.SUCCEEDED


def test_permanent_error_fails_at_once(engine: Engine) -> None:
    job_id = _enqueue(engine)
    assert _worker(engine, _Handler(PermanentJobError("file is not audio"))).run_once()
    job = _job(engine, job_id)
    assert (job.status, job.attempts, job.last_error) == (jobs.FAILED, 1, "file is not audio")


def test_worker_keeps_the_lease_alive_during_long_work(engine: Engine) -> None:
    job_id = _enqueue(engine)

    class Slow(_Handler):
        def __call__(self, claim: Claim, engine: Engine) -> None:
            time.sleep(0.6)
            super().__call__(claim, engine)

    slow = Slow()
    thread = threading.Thread(target=_worker(engine, slow, lease=0.3).run_once)
    thread.start()
    time.sleep(0.45)
    assert jobs.claim_next(engine, worker_id="thief", lease_seconds=30, kinds=("work",)) is None
    thread.join()
    assert _job(engine, job_id).status == jobs.SUCCEEDED


def test_idle_worker_runs_housekeeping_once_per_interval_and_survives_its_failure(
    engine: Engine,
) -> None:
    calls: list[float] = []

    def housekeeping() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("disk busy")  # logged; the worker carries on

    worker = Worker(
        engine,
        {},
        lease_seconds=5,
        max_attempts=3,
        poll_seconds=0.01,
        housekeeping=housekeeping,
        housekeeping_seconds=0.2,
    )
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stopping.set()
    runner.join(5)
    assert len(calls) >= 3, "housekeeping must go on after a failure"
    gaps = [later - earlier for earlier, later in zip(calls, calls[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps  # once per interval, not on every 0.01 s poll
