"""The worker loop: claim a job, run its handler under a renewed lease, record the outcome."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from sqlalchemy import Engine

from scribe import jobs
from scribe.jobs import Claim, PermanentJobError, StaleAttempt

logger = logging.getLogger(__name__)


class JobHandler(Protocol):
    """Runs one job kind; writes its output and calls `jobs.complete` in one transaction."""

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Do the work for `claim`."""
        ...


class _LeaseKeeper:
    """Renews a claim's lease in a background thread while the handler runs."""

    def __init__(self, engine: Engine, claim: Claim, lease_seconds: float) -> None:
        self._engine = engine
        self._claim = claim
        self._lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._lease_seconds / 3):
            try:
                jobs.renew_lease(self._engine, self._claim, lease_seconds=self._lease_seconds)
            except StaleAttempt:
                logger.warning(
                    "job %s attempt %s lost its lease", self._claim.job_id, self._claim.attempt
                )
                return
            except Exception:  # noqa: BLE001  (a failed renewal is retried at the next tick)
                logger.exception("lease renewal failed for job %s", self._claim.job_id)


class Worker:
    """Claims and runs jobs of the kinds it has handlers for."""

    def __init__(
        self,
        engine: Engine,
        handlers: Mapping[str, JobHandler],
        *,
        lease_seconds: float,
        max_attempts: int,
        poll_seconds: float,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_seconds: float = 3600.0,
    ) -> None:
        self._engine = engine
        self._housekeeping = housekeeping
        self._housekeeping_seconds = housekeeping_seconds
        self._housekept_at: float | None = None
        self._handlers = dict(handlers)
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()

    def run_once(self) -> bool:
        """Claim and run at most one job; returns whether a job was run."""
        claim = jobs.claim_next(
            self._engine,
            worker_id=self.worker_id,
            lease_seconds=self._lease_seconds,
            kinds=tuple(self._handlers),
        )
        if claim is None:
            return False
        logger.info("job %s (%s) attempt %s started", claim.job_id, claim.kind, claim.attempt)
        started = time.monotonic()
        try:
            with _LeaseKeeper(self._engine, claim, self._lease_seconds):
                self._handlers[claim.kind](claim, self._engine)
        except StaleAttempt:
            logger.warning(
                "job %s attempt %s was superseded; output discarded", claim.job_id, claim.attempt
            )
        except PermanentJobError as error:
            self._record_failure(claim, str(error), permanent=True)
        except Exception as error:  # noqa: BLE001  (any other failure is retried, then failed)
            self._record_failure(claim, f"{type(error).__name__}: {error}", permanent=False)
        else:
            logger.info("job %s finished in %.2f s", claim.job_id, time.monotonic() - started)
        return True

    def _record_failure(self, claim: Claim, reason: str, *, permanent: bool) -> None:
        try:
            status = jobs.fail(
                self._engine,
                claim,
                reason=reason,
                permanent=permanent,
                max_attempts=self._max_attempts,
            )
        except StaleAttempt:
            logger.warning(
                "job %s attempt %s failed after losing its lease", claim.job_id, claim.attempt
            )
            return
        logger.warning(
            "job %s attempt %s failed (%s); now %s",
            claim.job_id,
            claim.attempt,
            "permanent" if permanent else "retryable",
            status,
        )

    def _housekeep_when_due(self) -> None:
        """Run the housekeeping task (e.g. orphaned upload cleanup) when idle and due."""
        now = time.monotonic()
        if self._housekeeping is None or (
            self._housekept_at is not None and now - self._housekept_at < self._housekeeping_seconds
        ):
            return
        self._housekept_at = now
        try:
            self._housekeeping()
        except Exception:  # noqa: BLE001  (housekeeping must never stop the worker)
            logger.exception("housekeeping failed; retried at the next interval")

    def run_forever(self) -> None:
        """Run jobs until `stopping` is set (SIGTERM/SIGINT in `scribe worker`)."""
        logger.info("worker %s started for %s", self.worker_id, sorted(self._handlers))
        while not self.stopping.is_set():
            if not self.run_once():
                self._housekeep_when_due()
                self.stopping.wait(self._poll_seconds)
        logger.info("worker %s stopped", self.worker_id)
