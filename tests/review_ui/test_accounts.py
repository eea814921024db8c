"""Accounts: argon2 hashing, validation, disabling, and `scribe users` on a real database."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from review_ui import accounts, cli
from review_ui.accounts import AccountError
from review_ui.app import migrate
from scribe.db import make_engine, transaction
from scribe.settings import get_settings
from tests.review_ui.auth import PASSWORD

PRODUCTION_HASHER = accounts._hasher  # before the tests swap in a cheaper one


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_migration_0201_matches_the_tables(migrated: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import review_ui.tables

    ours = {"user_account", "user_session", "login_attempt", "encounter_assignment"}
    assert ours <= set(SQLModel.metadata.tables) and review_ui.tables.ROLES
    with migrated.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [diff for diff in diffs if ours & set(str(diff).split("'"))] == []


def test_production_hashes_use_the_argon2_defaults() -> None:
    production = PRODUCTION_HASHER()
    assert (production.time_cost, production.memory_cost) == (3, 64 * 1024)
    assert production.hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_passwords_are_salted_argon2id_hashes() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second
    assert PASSWORD not in first
    assert accounts.verify_password(first, PASSWORD)
    assert not accounts.verify_password(first, PASSWORD + "!")
    assert not accounts.verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize(
    ("username", "role", "password", "problem"),
    [
        ("a", "clinician", PASSWORD, "username"),
        ("has space", "clinician", PASSWORD, "username"),
        ("dr.a", "surgeon", PASSWORD, "role"),
        ("dr.a", "clinician", "short", "at least 12"),
    ],
)
def test_invalid_accounts_are_refused(
    migrated: Engine, username: str, role: str, password: str, problem: str
) -> None:
    with pytest.raises(AccountError, match=problem), transaction(migrated) as session:
        accounts.create_user(
            session=session, username=username, role=role, password=password, actor="test"
        )


def test_create_is_audited_without_the_password_and_names_are_unique(migrated: Engine) -> None:
    with transaction(migrated) as session:
        user = accounts.create_user(
            session=session, username=" Dr.A ", role="clinician", password=PASSWORD, actor="t"
        )
    assert (user.username, user.display_name) == ("dr.a", "dr.a")
    with pytest.raises(AccountError, match="already exists"), transaction(migrated) as session:
        accounts.create_user(
            session=session, username="DR.A", role="coder", password=PASSWORD, actor="t"
        )
    with migrated.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_event")).mappings().all()
    assert [(row["action"], row["subject"]) for row in rows] == [("user.create", "user/dr.a")]
    assert all(PASSWORD not in json.dumps(dict(row), default=str) for row in rows)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_cli_creates_lists_and_disables_users(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["users", "create", "--username", "Coder.Kim", "--role", "coder"]
    assert cli.main([*args, "--display-name", "Kim Coder"]) == 0
    assert "created coder coder.kim" in capsys.readouterr().out
    with transaction(cli_env) as session:
        user = accounts.get_user(session, "coder.kim")
        assert user is not None and accounts.verify_password(user.password_hash, PASSWORD)
    assert cli.main(["users", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["display_name"] == "Kim Coder" and "password_hash" not in listed[0]
    assert cli.main(["users", "disable", "coder.kim"]) == 0
    with transaction(cli_env) as session:
        assert accounts.get_user(session, "coder.kim").disabled  # type: ignore[union-attr]
    with cli_env.connect() as connection:
        actors = connection.execute(text("SELECT DISTINCT actor FROM audit_event")).scalars()
        assert all(actor.startswith("cli:") for actor in actors)


def test_cli_refuses_bad_input_without_a_traceback(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["users", "create", "--username", "dr.b", "--role", "clinician"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["users", "create", "--username", "dr.b", "--role", "clinician"]) == 2
    assert cli.main(["users", "disable", "nobody"]) == 2
    with pytest.raises(SystemExit):  # the password is never an argument
        cli.main(["users", "create", "--username", "dr.b", "--role", "clinician", "--password"])
