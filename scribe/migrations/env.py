"""Alembic environment: runs the package's migrations against the configured database."""

from alembic import context
from sqlmodel import SQLModel

import scribe.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from scribe.db import make_engine

config = context.config


def run_migrations() -> None:
    """Run migrations online against `sqlalchemy.url`."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
