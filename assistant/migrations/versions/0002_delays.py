"""ledger: delay count and the latest delay reason on each entry

Revision ID: 0002_delays
Revises: 0001_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_delays'
down_revision = '0001_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delay_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('delay_reason', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_column('delay_reason')
        batch_op.drop_column('delay_count')
