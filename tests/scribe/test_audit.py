"""The audit chain detects edited, deleted, inserted and reordered events."""

from __future__ import annotations

from sqlalchemy import Engine, text

from scribe.audit import record_event, verify_database
from scribe.db import transaction


def _append(engine: Engine, count: int) -> None:
    with transaction(engine) as session:
        for index in range(count):
            record_event(
                session,
                actor=f"user{index}",
                action="note.read",
                encounter_id=f"enc{index}",
                details={"n": index},
            )


def _verify(engine: Engine) -> tuple[bool, list[str]]:
    with transaction(engine) as session:
        report = verify_database(session)
    return report.ok, report.problems


def test_intact_chain_verifies(engine: Engine) -> None:
    _append(engine, 5)
    ok, problems = _verify(engine)
    assert ok, problems


def test_edited_event_is_detected(engine: Engine) -> None:
    _append(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
    ok, problems = _verify(engine)
    assert not ok
    assert any("seq 3" in problem and "edited" in problem for problem in problems)


def test_deleted_event_is_detected(engine: Engine) -> None:
    _append(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    ok, problems = _verify(engine)
    assert not ok
    assert any("seq 3" in problem for problem in problems)


def test_deleted_tail_is_detected(engine: Engine) -> None:
    _append(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 5"))
    ok, problems = _verify(engine)
    assert not ok
    assert any("head" in problem for problem in problems)


def test_inserted_event_is_detected(engine: Engine) -> None:
    _append(engine, 3)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 2"))
        connection.execute(text("UPDATE audit_event SET seq = seq - 999 WHERE seq >= 1000"))
        connection.execute(
            text(
                "INSERT INTO audit_event (seq, occurred_at, actor, action, outcome, details, "
                "prev_hash, hash) VALUES (2, '2026-01-01 00:00:00', 'x', 'note.read', 'success', "
                "'{}', 'abc', 'forged')"
            )
        )
    ok, _ = _verify(engine)
    assert not ok


def test_reordered_events_are_detected(engine: Engine) -> None:
    _append(engine, 4)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET seq = 100 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_event SET seq = 3 WHERE seq = 100"))
    ok, _ = _verify(engine)
    assert not ok


def test_rolled_back_change_leaves_no_event(engine: Engine) -> None:
    try:
        with transaction(engine) as session:
            record_event(session, actor="a", action="patient.create")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    with engine.begin() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM audit_event")).scalar() == 0
