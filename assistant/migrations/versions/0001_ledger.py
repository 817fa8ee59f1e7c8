"""ledger: plans, entries, progress, attachments, audit

Revision ID: 0001_ledger
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001_ledger'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=200), nullable=False),
    sa.Column('plan_version', sa.String(length=100), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('task_text', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('targets_json', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_stated', sa.Boolean(), nullable=False),
    sa.Column('due_text', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress_value', sa.Float(), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_policy'), ['policy'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_unit'), ['unit'], unique=False)

    op.create_table('ledger_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('plan_date', sa.Date(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('tasks_json', sa.Text(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_plans'))
    )
    with op.batch_alter_table('ledger_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_plans_policy'), ['policy'], unique=False)

    op.create_table('ledger_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('field', sa.String(length=50), nullable=False),
    sa.Column('old', sa.Text(), nullable=False),
    sa.Column('new', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_audit_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_audit'))
    )
    with op.batch_alter_table('ledger_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_audit_entry_id'), ['entry_id'], unique=False)

    op.create_table('ledger_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_progress_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_progress'))
    )
    with op.batch_alter_table('ledger_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_progress_entry_id'), ['entry_id'], unique=False)

    op.create_table('ledger_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_as', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_attachments_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['report_id'], ['ledger_progress.id'], name=op.f('fk_ledger_attachments_report_id_ledger_progress')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_attachments'))
    )
    with op.batch_alter_table('ledger_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_attachments_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ledger_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_attachments_entry_id'))

    op.drop_table('ledger_attachments')
    with op.batch_alter_table('ledger_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_progress_entry_id'))

    op.drop_table('ledger_progress')
    with op.batch_alter_table('ledger_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_audit_entry_id'))

    op.drop_table('ledger_audit')
    with op.batch_alter_table('ledger_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_plans_policy'))

    op.drop_table('ledger_plans')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_unit'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_policy'))

    op.drop_table('ledger_entries')
