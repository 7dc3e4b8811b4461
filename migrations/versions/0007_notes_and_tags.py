"""Notes and tags: a run's markdown notes and its tags, and when a user last edited each

A job's ``.trainui/labels.json`` seeds them; once a user edits one, the user's edit wins.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('notes', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tags_edited_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('notes_edited_at', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('notes_edited_at')
        batch_op.drop_column('tags_edited_at')
        batch_op.drop_column('notes')
        batch_op.drop_column('tags')
