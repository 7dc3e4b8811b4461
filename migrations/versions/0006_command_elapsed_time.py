"""Commands: the run's elapsed_time when a command was applied (its place on a time axis)

A command's answer already says at which iteration and epoch it was applied; a chart drawn
against elapsed_time needs the job's clock too (issue 23, events on the curves). Older answers
have none: their events are drawn on iteration and epoch axes only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_time', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.drop_column('elapsed_time')
