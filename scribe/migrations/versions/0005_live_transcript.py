"""live transcription: words committed while a capture is recording

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('live_transcript',
    sa.Column('capture_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('committed_until', sa.Float(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('bytes_seen', sa.Integer(), nullable=False),
    sa.Column('audio_seconds', sa.Float(), nullable=False),
    sa.Column('windows', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['capture_session.id'], ),
    sa.PrimaryKeyConstraint('capture_id')
    )


def downgrade() -> None:
    op.drop_table('live_transcript')
