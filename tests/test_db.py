"""The database layer: settings, migrations on an empty and a populated database, the schema check, bad addresses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from assistant.db import Base, check_schema, current_revision, display_url, head_revision, make_engine, migrate
from assistant.errors import DatabaseUnreachable, SchemaOutdated
from assistant.settings import Settings, load_settings


def test_database_url_defaults_to_a_sqlite_file_and_comes_from_the_environment(tmp_path: Path) -> None:
    assert Settings().database_url == "sqlite:///policy-assistant.db"
    assert Settings().with_root(tmp_path).database_url == f"sqlite:///{tmp_path}/policy-assistant.db"
    assert Settings().with_root(tmp_path).ledger_attachments_dir == tmp_path / "policy-assistant-attachments"
    url = "postgresql+psycopg://office:secret@db.example/ledger"
    settings = load_settings(env={"POLICY_ASSISTANT_DATABASE_URL": url})
    assert settings.database_url == url and settings.ledger_attachments_dir == Path("ledger-attachments")
    assert "secret" not in repr(settings) and "secret" not in display_url(url)


def test_migration_on_an_empty_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(SchemaOutdated, match="还没有台账数据表。请先运行：policy-assistant db migrate"):
            check_schema(engine)
        assert migrate(engine) == (None, head_revision())
        check_schema(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"ledger_plans", "ledger_entries", "ledger_progress", "ledger_attachments", "ledger_audit"} <= tables
        assert migrate(engine) == (head_revision(), head_revision())  # safe to repeat
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_migration_on_a_populated_database_keeps_the_data(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0001_ledger")
        now = datetime(2025, 1, 1)
        with engine.begin() as c:
            c.execute(text("INSERT INTO ledger_entries (policy, plan_version, task_id, title, task_text, unit, role, "
                           "targets_json, due_stated, due_text, status, closed_reason, created_at, updated_at, version) "
                           "VALUES ('p', 'v1', '二（一）', 't', '原文', '市住房城乡建设局', '牵头', '[]', false, '', '推进中', '', "
                           ":now, :now, 3)"), {"now": now})
        with pytest.raises(SchemaOutdated, match=f"比程序需要的 {head_revision()} 旧。请先运行：policy-assistant db migrate"):
            check_schema(engine)
        assert migrate(engine) == ("0001_ledger", head_revision())
        with engine.connect() as c:
            row = c.execute(text("SELECT unit, status, version, delay_count, delay_reason FROM ledger_entries")).one()
        assert tuple(row) == ("市住房城乡建设局", "推进中", 3, 0, "")
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_an_unreachable_database_is_named_with_the_fix(postgres_server, tmp_path: Path) -> None:  # noqa: ANN001
    host, port, user = postgres_server
    closed = make_engine(f"postgresql+psycopg://{user}:pw@127.0.0.1:1/ledger")
    with pytest.raises(DatabaseUnreachable, match="无法连接数据库 postgresql\\+psycopg://postgres:\\*\\*\\*@127.0.0.1:1/ledger.*database_url"):
        check_schema(closed)
    missing = make_engine(f"postgresql+psycopg://{user}@{host}:{port}/no_such_db")
    with pytest.raises(DatabaseUnreachable, match="无法连接数据库"):
        migrate(missing)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(DatabaseUnreachable, match="无法在 .* 建立数据库文件"):
        make_engine(f"sqlite:///{blocked}/sub/ledger.db")
    with pytest.raises(DatabaseUnreachable, match="数据库地址无法识别"):
        make_engine("nosuchdb://x")


def test_the_migrations_make_exactly_the_tables_the_code_defines(database_url: str) -> None:
    """One schema: the ledger's models and the store's tables (store/tables.py) are what the migrations make."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import assistant.ledger.models  # noqa: F401
    import assistant.store.tables  # noqa: F401

    engine = make_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert {t for t in Base.metadata.tables if t.startswith("store_")} == {
            "store_meta", "store_generations", "store_visible", "store_clauses", "store_tasks", "store_chunks",
            "store_terms"}
    finally:
        engine.dispose()


def test_store_tables_made_by_the_earlier_release_are_kept(database_url: str) -> None:
    """Before 0003_store the store made its tables itself beside a ledger at 0002_delays: the migration keeps them
    and their rows, and drops the schema number the store kept of its own."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_store")
        with engine.begin() as c:  # what the earlier release left: its tables and rows, Alembic at the ledger's head
            c.execute(text("UPDATE alembic_version SET version_num = '0002_delays'"))
            c.execute(text("INSERT INTO store_meta (key, value) VALUES ('schema', '1')"))
            c.execute(text("UPDATE store_meta SET value = '7' WHERE key = 'serial'"))
            c.execute(text("INSERT INTO store_generations (policy, version, title, content_hash) "
                           "VALUES ('p', 'v1', '方案', 'abc')"))
        migrate(engine)
        check_schema(engine)
        with engine.connect() as c:
            assert dict(c.execute(text("SELECT key, value FROM store_meta")).all()) == {"serial": "7"}
            assert c.execute(text("SELECT policy, version, title FROM store_generations")).one() == ("p", "v1", "方案")
            # 0004: no record or appendix was kept for it, so its content hash is cleared for the next ingest to rewrite
            assert c.execute(text("SELECT content_hash, record, appendix, appendix_start FROM store_generations")).one() \
                == ("", "", "", 0)
    finally:
        engine.dispose()
