"""The same core flows on a real PostgreSQL server (run with SCRIBE_TEST_POSTGRES_URL set).

Example: SCRIBE_TEST_POSTGRES_URL=postgresql+psycopg://scribe:scribe@127.0.0.1/scribe_test
The database must be empty; the test migrates it and drops its tables afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from scribe import jobs
from scribe.audit import record_event, verify_database
from scribe.db import make_engine, transaction, upgrade_database
from scribe.tables import Encounter, Patient

POSTGRES_URL = os.environ.get("SCRIBE_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="SCRIBE_TEST_POSTGRES_URL is not set"),
]


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    assert POSTGRES_URL
    upgrade_database(POSTGRES_URL)
    engine = make_engine(POSTGRES_URL)
    yield engine
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_claim_fencing_and_audit_chain_on_postgres(pg_engine: Engine) -> None:
    with transaction(pg_engine) as session:
        patient = Patient(birth_date=date(1950, 1, 1), sex="F")
        session.add(patient)
        session.flush()
        encounter = Encounter(patient_id=patient.id, date_of_service=date(2026, 1, 1))
        session.add(encounter)
        session.flush()
        jobs.enqueue(session, kind="work", encounter_id=encounter.id, payload={}, max_attempts=3)
        record_event(session, actor="t", action="encounter.create", encounter_id=encounter.id)
    old = jobs.claim_next(pg_engine, worker_id="w1", lease_seconds=0.05, kinds=("work",))
    time.sleep(0.1)
    new = jobs.claim_next(pg_engine, worker_id="w2", lease_seconds=30, kinds=("work",))
    assert old is not None and new is not None and new.attempt == 2
    with pytest.raises(jobs.StaleAttempt), transaction(pg_engine) as session:
        jobs.complete(session, old)
    with transaction(pg_engine) as session:
        jobs.complete(session, new)
        assert verify_database(session).ok
