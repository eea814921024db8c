"""submissions (outbox of signed encounters)

Revision ID: 0102
Revises: 0101
Create Date: 2026-11-23 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0102'
down_revision = '0101'
branch_labels = None
depends_on = '0003'


def upgrade() -> None:
    op.create_table('submission',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('encounter_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note_version', sa.Integer(), nullable=False),
    sa.Column('signature_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('replaces_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('bundle', sa.JSON(), nullable=False),
    sa.Column('bundle_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('destination', sa.Text(), nullable=True),
    sa.Column('delivery_ref', sa.Text(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('invalidated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('invalidated_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], ),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], ),
    sa.ForeignKeyConstraint(['note_id'], ['note_draft.id'], ),
    sa.ForeignKeyConstraint(['replaces_id'], ['submission.id'], ),
    sa.ForeignKeyConstraint(['signature_id'], ['note_signature.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('signature_id')
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_status'), ['status'], unique=False)

    op.create_table('submission_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('icd10', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('suggestion_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hcc_v28', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('hcc_v24', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('rules_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code_set_year', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('accepted_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'icd10')
    )
    with op.batch_alter_table('submission_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_code_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submission_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_code_submission_id'))

    op.drop_table('submission_code')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_status'))
        batch_op.drop_index(batch_op.f('ix_submission_encounter_id'))

    op.drop_table('submission')
