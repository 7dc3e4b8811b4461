"""Automations: rules, where each stands on each run, and its firings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_rules_project_id_projects'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_rules_result_id_results'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
    )
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_project_id'), ['project_id'], unique=False)
    op.create_table(
        'rule_states',
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('firings', sa.Integer(), nullable=False),
        sa.Column('last_x', sa.Float(), nullable=True),
        sa.Column('last_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_rule_states_result_id_results'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_rule_states_rule_id_rules'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('rule_id', 'result_id', name=op.f('pk_rule_states')),
    )
    op.create_table(
        'firings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('entry', sa.BigInteger(), nullable=False),
        sa.Column('x', sa.Float(), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('command_id', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.Float(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['command_id'], ['commands.id'], name=op.f('fk_firings_command_id_commands'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_firings_result_id_results'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_firings_rule_id_rules'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_firings')),
        sa.UniqueConstraint('rule_id', 'result_id', 'generation', 'entry', name='uq_firings_rule_id_result_id_generation_entry'),
    )
    with op.batch_alter_table('firings', schema=None) as batch_op:
        batch_op.create_index('ix_firings_result_id', ['result_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firings_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_table('firings')
    op.drop_table('rule_states')
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_project_id'))
    op.drop_table('rules')
