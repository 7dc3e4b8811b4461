"""multi-resolution block summaries: each block's last entry, NaN count and per-segment extremes; group summaries

Each metric block gets its last entry, its NaN count and the extremes of each of its 64-point
segments; the last block of each full group of 64 blocks gets a summary of the whole group.

Blocks written before this revision keep NULL there: reads decode those blocks instead (the
answers are the same, only slower), and the last block of each series gets its summaries at
its next append.

On SQLite the table is rebuilt with every summary column before the packed points: SQLite keeps
a row's first bytes in its page and the rest in a chain of overflow pages, so a column stored
after 16 kB of points costs reading them all (a whole-series summary of 5M entries: 60 ms
instead of 5). The rebuild copies every block once. PostgreSQL keeps large values out of line
(TOAST): adding the columns is enough there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:35:41.719903
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SUMMARIES_FIRST = ("result_id", "key", "block_no", "count", "first_index", "min_value", "min_index", "max_value",
                   "max_index", "last_index", "nan_count", "segments", "group_summary", "indices", "values")


def upgrade() -> None:
    rebuild = {"recreate": "always", "partial_reordering": [SUMMARIES_FIRST]} \
        if op.get_bind().dialect.name == "sqlite" else {}
    with op.batch_alter_table('metric_blocks', schema=None, **rebuild) as batch_op:
        batch_op.add_column(sa.Column('last_index', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('nan_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('segments', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('group_summary', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('metric_blocks', schema=None) as batch_op:
        batch_op.drop_column('group_summary')
        batch_op.drop_column('segments')
        batch_op.drop_column('nan_count')
        batch_op.drop_column('last_index')
