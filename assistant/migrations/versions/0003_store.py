"""store: the Milvus store's plan versions, visibility, clauses, task rows, chunks and term counts

Revision ID: 0003_store
Revises: 0002_delays

The earlier release made these tables itself (``create_all``) and kept its own schema number in
``store_meta``: tables found already there are kept with their rows, and that number is dropped (Alembic
keeps the version now).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_store'
down_revision = '0002_delays'
branch_labels = None
depends_on = None


def _existing() -> set[str]:
    if op.get_context().as_sql:  # an SQL script for an administrator: written for a database without them
        return set()
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    existing = _existing()
    if 'store_meta' not in existing:
        op.create_table('store_meta',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_store_meta'))
        )
    if 'store_generations' not in existing:
        op.create_table('store_generations',
        sa.Column('gen', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('policy', sa.String(length=200), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('date', sa.String(length=40), nullable=True),
        sa.Column('path', sa.Text(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('place', sa.String(length=100), nullable=True),
        sa.Column('level', sa.String(length=20), nullable=True),
        sa.Column('problems', sa.Text(), nullable=True),
        sa.Column('user_words', sa.Text(), nullable=True),
        sa.Column('n_chunks', sa.Integer(), nullable=True),
        sa.Column('total_len', sa.Integer(), nullable=True),
        sa.Column('complete', sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint('gen', name=op.f('pk_store_generations')),
        sqlite_autoincrement=True
        )
    if 'store_visible' not in existing:
        op.create_table('store_visible',
        sa.Column('policy', sa.String(length=200), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.Column('gen', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('policy', 'version', name=op.f('pk_store_visible'))
        )
    if 'store_clauses' not in existing:
        op.create_table('store_clauses',
        sa.Column('gen', sa.Integer(), nullable=False),
        sa.Column('clause_id', sa.String(length=100), nullable=False),
        sa.Column('ord', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('gen', 'clause_id', name=op.f('pk_store_clauses'))
        )
    if 'store_tasks' not in existing:
        op.create_table('store_tasks',
        sa.Column('gen', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=100), nullable=False),
        sa.Column('item_id', sa.String(length=100), nullable=False),
        sa.Column('ord', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('gen', 'task_id', name=op.f('pk_store_tasks'))
        )
        with op.batch_alter_table('store_tasks', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_store_tasks_item_id'), ['item_id'], unique=False)
    if 'store_chunks' not in existing:
        op.create_table('store_chunks',
        sa.Column('gen', sa.Integer(), nullable=False),
        sa.Column('ord', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.String(length=100), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('gen', 'ord', name=op.f('pk_store_chunks'))
        )
    if 'store_terms' not in existing:
        op.create_table('store_terms',
        sa.Column('gen', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=200), nullable=False),
        sa.Column('df', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('gen', 'token', name=op.f('pk_store_terms'))
        )
        with op.batch_alter_table('store_terms', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_store_terms_token'), ['token'], unique=False)
    op.execute("DELETE FROM store_meta WHERE key = 'schema'")
    op.execute("INSERT INTO store_meta (key, value) SELECT 'serial', '0' "
               "WHERE NOT EXISTS (SELECT 1 FROM store_meta WHERE key = 'serial')")


def downgrade() -> None:
    with op.batch_alter_table('store_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_terms_token'))
    op.drop_table('store_terms')
    op.drop_table('store_chunks')
    with op.batch_alter_table('store_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_tasks_item_id'))
    op.drop_table('store_tasks')
    op.drop_table('store_clauses')
    op.drop_table('store_visible')
    op.drop_table('store_generations')
    op.drop_table('store_meta')
