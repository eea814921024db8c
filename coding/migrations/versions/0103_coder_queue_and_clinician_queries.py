"""coder queue paging indexes and clinician queries

Revision ID: 0103
Revises: 0102
Create Date: 2026-11-25 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0103'
down_revision = '0102'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clinician_query',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('encounter_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('suggestion_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], ),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clinician_query', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinician_query_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinician_query_suggestion_id'), ['suggestion_id'], unique=False)
        batch_op.create_index('ix_clinician_query_status_asked', ['status', 'asked_at'], unique=False)

    # Keyset paging of the queue: every sort key ends with the id, so a page boundary is exact
    # and the next page is an index range, not an OFFSET walk.
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_raf')
        batch_op.create_index('ix_suggestion_raf_page', ['status', 'raf_delta_v28', 'id'], unique=False)
        batch_op.create_index('ix_suggestion_age_page', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_suggestion_hcc_page', ['status', 'hcc_v28', 'raf_delta_v28', 'id'], unique=False)
        # Filters on the encounter (clinician, dates) search from the encounters in scope.
        batch_op.create_index('ix_suggestion_encounter_status', ['encounter_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_encounter_status')
        batch_op.drop_index('ix_suggestion_hcc_page')
        batch_op.drop_index('ix_suggestion_age_page')
        batch_op.drop_index('ix_suggestion_raf_page')
        batch_op.create_index('ix_suggestion_raf', ['status', 'raf_delta_v28'], unique=False)

    with op.batch_alter_table('clinician_query', schema=None) as batch_op:
        batch_op.drop_index('ix_clinician_query_status_asked')
        batch_op.drop_index(batch_op.f('ix_clinician_query_suggestion_id'))
        batch_op.drop_index(batch_op.f('ix_clinician_query_encounter_id'))

    op.drop_table('clinician_query')
