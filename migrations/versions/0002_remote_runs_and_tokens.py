"""remote runs and tokens: results shipped over HTTP (source, run_uid) and hashed access tokens with roles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:18:11.091190
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tokens_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_tokens_digest'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='file', nullable=False))
        batch_op.add_column(sa.Column('run_uid', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_results_project_id_run_uid', ['project_id', 'run_uid'])



def downgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_constraint('uq_results_project_id_run_uid', type_='unique')
        batch_op.drop_column('run_uid')
        batch_op.drop_column('source')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('data')

    op.drop_table('tokens')
