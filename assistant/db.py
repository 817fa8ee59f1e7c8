"""The database: engine and sessions from the ``database_url`` setting, the shared ``Base``, and migrations.

SQLite in the working folder is the embedded default; PostgreSQL by one setting
(``postgresql+psycopg://…``). The tables are made and changed only by the Alembic migrations in
``assistant/migrations/`` (``policy-assistant db migrate``); code refuses to work on a database whose
schema is older than itself, and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .errors import DatabaseUnreachable, SchemaOutdated
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATE_COMMAND = "policy-assistant db migrate"
_NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
           "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
           "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    """The one declarative base: every feature's tables share its metadata and the one migrations folder."""

    metadata = MetaData(naming_convention=_NAMING)


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as the user wrote it, minus credentials
        return url.split("@")[-1]


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder, foreign keys and a busy timeout."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnreachable(f"无法在 {Path(path).parent} 建立数据库文件（{exc.strerror}）。"
                                          "请检查 database_url 设置") from exc
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseUnreachable(f"数据库地址无法识别：{display_url(url)}（请检查 database_url 设置）") from exc
    except ImportError as exc:  # mysql://, postgresql+psycopg2://: a dialect whose driver is not installed
        raise DatabaseUnreachable(f"数据库地址 {display_url(url)} 所需的驱动未安装（{exc.name or exc}）。"
                                  "请检查 database_url 设置：SQLite 文件写 sqlite:///路径，"
                                  "PostgreSQL 写 postgresql+psycopg://用户:密码@主机/库名") from exc
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


@contextmanager
def connected(engine: Engine) -> Iterator[None]:
    """Turn a failed connection into DatabaseUnreachable with the address and the setting to check."""
    try:
        yield
    except OperationalError as exc:
        if _is_connection_error(exc):
            raise DatabaseUnreachable(
                f"无法连接数据库 {display_url(str(engine.url.render_as_string(hide_password=True)))}："
                f"{_reason(exc)}。请检查 database_url 设置和数据库服务是否已启动") from exc
        raise


def _is_connection_error(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return exc.connection_invalidated or any(word in message for word in (
        "connect", "unable to open", "could not", "refused", "timeout", "resolve", "password", "does not exist",
        "readonly", "read-only", "disk i/o"))


def _reason(exc: OperationalError) -> str:
    first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    return first[:200]


def _alembic_config(engine: Engine, connection: Any | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration in the package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at; None for a database without our tables."""
    from alembic.runtime.migration import MigrationContext

    with connected(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to the newest schema (or ``target``) in one transaction; (revision before, after)."""
    from alembic import command

    before = current_revision(engine)
    with connected(engine), engine.begin() as connection:
        command.upgrade(_alembic_config(engine, connection), target)
    return before, current_revision(engine)


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutdated (with the fix) unless the database is at the newest migration."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutdated(f"数据库 {display_url(str(engine.url))} 还没有台账数据表。请先运行：{MIGRATE_COMMAND}")
    raise SchemaOutdated(f"数据库结构版本 {current} 比程序需要的 {head} 旧。请先运行：{MIGRATE_COMMAND}")


def has_tables(engine: Engine, *names: str) -> bool:
    with connected(engine), engine.connect() as connection:
        existing = set(inspect(connection).get_table_names())
    return set(names) <= existing


def ping(engine: Engine) -> None:
    """Raise DatabaseUnreachable unless a connection can be made."""
    with connected(engine), engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One session in one transaction: committed when the block ends, rolled back (nothing written) when it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with connected(engine):
        with factory() as session, session.begin():
            yield session
