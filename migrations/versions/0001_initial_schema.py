"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 11:45:32.450861
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=4096), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('name', name=op.f('uq_projects_name')),
    sa.UniqueConstraint('path', name=op.f('uq_projects_path'))
    )
    op.create_table('results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=4096), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('unregistered', sa.Boolean(), nullable=False),
    sa.Column('missing', sa.Boolean(), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('last_values', sa.JSON(), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('log_offset', sa.BigInteger(), nullable=False),
    sa.Column('log_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('log_generation', sa.Integer(), nullable=False),
    sa.Column('assets_offset', sa.BigInteger(), nullable=False),
    sa.Column('ingest_error', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('job', sa.JSON(), nullable=False),
    sa.Column('heartbeat_at', sa.Float(), nullable=True),
    sa.Column('started_at', sa.Float(), nullable=True),
    sa.Column('ended_at', sa.Float(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_results_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results')),
    sa.UniqueConstraint('project_id', 'path', name='uq_results_project_id_path')
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_project_id'), ['project_id'], unique=False)

    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=4096), nullable=False),
    sa.Column('iteration', sa.BigInteger(), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_assets_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('result_id', 'path', name='uq_assets_result_id_path')
    )
    op.create_table('commands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('responded_at', sa.Float(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('iteration', sa.BigInteger(), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('ranks', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_commands_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commands')),
    sa.UniqueConstraint('uid', name=op.f('uq_commands_uid'))
    )
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.create_index('ix_commands_result_id_status', ['result_id', 'status'], unique=False)

    op.create_table('metric_blocks',
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('block_no', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_index', sa.Integer(), nullable=False),
    sa.Column('indices', sa.LargeBinary(), nullable=False),
    sa.Column('values', sa.LargeBinary(), nullable=False),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('min_index', sa.BigInteger(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('max_index', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_metric_blocks_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('result_id', 'key', 'block_no', name=op.f('pk_metric_blocks'))
    )
    op.create_table('snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=1024), nullable=False),
    sa.Column('iteration', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_snapshots_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots')),
    sa.UniqueConstraint('result_id', 'name', name='uq_snapshots_result_id_name')
    )


def downgrade() -> None:
    op.drop_table('snapshots')
    op.drop_table('metric_blocks')
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.drop_index('ix_commands_result_id_status')

    op.drop_table('commands')
    op.drop_table('assets')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_project_id'))

    op.drop_table('results')
    op.drop_table('projects')
