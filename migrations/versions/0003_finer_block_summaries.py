"""finer block summaries: each metric block's last entry, NaN count and per-segment extremes

Blocks written before this revision keep NULL there: reads decode those blocks instead (the
answers are the same, only slower), and the last block of each series gets its summaries at
its next append. Adding nullable columns is cheap on both databases (no table rewrite).

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


def upgrade() -> None:
    with op.batch_alter_table('metric_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_index', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('nan_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('segments', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('metric_blocks', schema=None) as batch_op:
        batch_op.drop_column('segments')
        batch_op.drop_column('nan_count')
        batch_op.drop_column('last_index')
