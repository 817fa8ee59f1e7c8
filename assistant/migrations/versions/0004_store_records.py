"""store: each plan version's policy record and appendix, as the local index keeps them

Revision ID: 0004_store_records
Revises: 0003_store

Plan versions written before this carry neither: their content hash is cleared, so the next ingest writes
them again (their vectors are reused, nothing is embedded twice).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_store_records'
down_revision = '0003_store'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_generations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('appendix', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('appendix_start', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE store_generations SET content_hash = ''")


def downgrade() -> None:
    with op.batch_alter_table('store_generations', schema=None) as batch_op:
        batch_op.drop_column('appendix_start')
        batch_op.drop_column('appendix')
        batch_op.drop_column('record')
