"""The Milvus store's tables in SQL, defined once here on the shared ``db.Base.metadata``.

    store_generations   one row per ingested plan version (policy, version, title, the policy
                        record, the appendix text, content hash…);
                        ``gen`` is the id its rows are written under
    store_visible       (policy, version) → gen: what askers see. Written last, in the same transaction as
                        the plan's rows, so a plan becomes visible whole or not at all
    store_clauses, store_tasks, store_chunks   pydantic models as JSON, keyed by gen
    store_terms         per gen: token → number of chunks holding it, for BM25 statistics equal to the local index's
    store_meta          a serial bumped on every switch (cheap change detection for readers)

The database makes and changes them only through the Alembic migrations in ``assistant/migrations/``
(0003_store, 0004_store_records), beside the ledger's: one ``policy-assistant db migrate`` makes both.
``tests/test_db.py`` checks that the migrated database is exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from ..db import Base

_md = Base.metadata

meta = Table("store_meta", _md, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))

generations = Table(
    "store_generations", _md,
    Column("gen", Integer, primary_key=True, autoincrement=True),
    Column("policy", String(200), nullable=False), Column("version", String(100), nullable=False),
    Column("title", Text, nullable=False, default=""), Column("date", String(40), default=""),
    Column("path", Text, default=""), Column("sha256", String(64), default=""),
    Column("content_hash", String(64), nullable=False), Column("place", String(100), default=""),
    Column("level", String(20), default=""), Column("problems", Text, default="[]"),
    Column("user_words", Text, default="[]"), Column("n_chunks", Integer, default=0),
    Column("total_len", Integer, default=0), Column("complete", Boolean, default=False),
    # what the plan says it is (PolicyRecord as JSON, "" for none) and its appendix, as the local index keeps them
    Column("record", Text, nullable=False, default="", server_default=""),
    Column("appendix", Text, nullable=False, default="", server_default=""),
    Column("appendix_start", Integer, nullable=False, default=0, server_default="0"),
    sqlite_autoincrement=True)  # a generation id is never reused: orphan rows can never become visible

visible = Table("store_visible", _md, Column("policy", String(200), primary_key=True),
                Column("version", String(100), primary_key=True), Column("gen", Integer, nullable=False))

clauses = Table("store_clauses", _md, Column("gen", Integer, primary_key=True),
                Column("clause_id", String(100), primary_key=True),
                Column("ord", Integer, nullable=False), Column("data", Text, nullable=False))

tasks = Table("store_tasks", _md, Column("gen", Integer, primary_key=True),
              Column("task_id", String(100), primary_key=True),
              Column("item_id", String(100), nullable=False, index=True),
              Column("ord", Integer, nullable=False), Column("data", Text, nullable=False))

chunks = Table("store_chunks", _md, Column("gen", Integer, primary_key=True), Column("ord", Integer, primary_key=True),
               Column("item_id", String(100), nullable=False), Column("data", Text, nullable=False))

terms = Table("store_terms", _md, Column("gen", Integer, primary_key=True),
              Column("token", String(200), primary_key=True, index=True), Column("df", Integer, nullable=False))

TABLES: dict[str, Table] = {"meta": meta, "generations": generations, "visible": visible, "clauses": clauses,
                            "tasks": tasks, "chunks": chunks, "terms": terms}
