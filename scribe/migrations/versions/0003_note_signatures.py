"""note signatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('note_signature',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('encounter_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('attestation', sa.Text(), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('amends_signature_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['amends_signature_id'], ['note_signature.id'], ),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], ),
    sa.ForeignKeyConstraint(['note_id'], ['note_draft.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('encounter_id', 'version'),
    sa.UniqueConstraint('note_id')
    )
    with op.batch_alter_table('note_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_signature_encounter_id'), ['encounter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('note_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_signature_encounter_id'))

    op.drop_table('note_signature')
