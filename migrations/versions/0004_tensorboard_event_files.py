"""TensorBoard event files: each result's event-file cursor (byte offset and fingerprint per file)

A result directory written by ``SummaryWriter`` holds one event file per writer start; each is
read from its own offset, and the cursor of all of them commits with the data it describes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('events_cursor', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('events_cursor')
