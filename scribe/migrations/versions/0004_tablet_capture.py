"""tablet capture: consent, capture sessions and their chunks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('encounter_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('patient_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('consented_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('script_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('script_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('consented_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_patient_id'), ['patient_id'], unique=False)

    op.create_table('capture_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('encounter_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('consent_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('mime_type', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=True),
    sa.Column('recording_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], ),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recording.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('capture_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_session_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_capture_session_status'), ['status'], unique=False)

    op.create_table('capture_chunk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('storage_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['capture_session.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('capture_id', 'seq')
    )
    with op.batch_alter_table('capture_chunk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_chunk_capture_id'), ['capture_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('capture_chunk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_chunk_capture_id'))
    op.drop_table('capture_chunk')
    with op.batch_alter_table('capture_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_session_status'))
        batch_op.drop_index(batch_op.f('ix_capture_session_encounter_id'))
    op.drop_table('capture_session')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_patient_id'))
        batch_op.drop_index(batch_op.f('ix_consent_encounter_id'))
    op.drop_table('consent')
