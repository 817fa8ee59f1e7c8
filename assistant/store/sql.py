"""Policies, clauses, task rows and chunk records of the Milvus store, in SQL (SQLAlchemy Core).

    generations   one row per ingested plan version (policy, version, title, place, level, content hash…);
                  ``gen`` is the id its rows are written under
    visible       (policy, version) → gen: what askers see. Written last, in the same transaction as the
                  plan's rows, so a plan becomes visible whole or not at all
    clauses, tasks, chunks   pydantic models as JSON, keyed by gen
    terms         per gen: token → number of chunks holding it, for BM25 statistics equal to the local index's
    meta          schema version, and a serial bumped on every switch (cheap change detection for readers)

The database is ``settings.database_url`` (SQLite file by default, PostgreSQL by URL). The engine is made
by a private function here, not by the shared ``db.py``; see the merge note in the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import SchemaOutdated, StoreUnavailable
from ..index import PolicyInfo
from ..schema import Chunk, Clause, Problem, Task

SCHEMA_VERSION = 1


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy
    except ImportError as exc:  # pragma: no cover - a declared dependency
        from ..errors import DependencyMissing

        raise DependencyMissing("Milvus 存储需要 SQLAlchemy：pip install 'sqlalchemy>=2' 'psycopg[binary]'") from exc
    return sqlalchemy


def _tables(sa: Any) -> tuple[Any, dict[str, Any]]:
    md = sa.MetaData()
    t = {
        "meta": sa.Table("store_meta", md, sa.Column("key", sa.String(64), primary_key=True),
                         sa.Column("value", sa.Text, nullable=False)),
        "generations": sa.Table(
            "store_generations", md,
            sa.Column("gen", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("policy", sa.String(200), nullable=False), sa.Column("version", sa.String(100), nullable=False),
            sa.Column("title", sa.Text, nullable=False, default=""), sa.Column("date", sa.String(40), default=""),
            sa.Column("path", sa.Text, default=""), sa.Column("sha256", sa.String(64), default=""),
            sa.Column("content_hash", sa.String(64), nullable=False), sa.Column("place", sa.String(100), default=""),
            sa.Column("level", sa.String(20), default=""), sa.Column("problems", sa.Text, default="[]"),
            sa.Column("user_words", sa.Text, default="[]"), sa.Column("n_chunks", sa.Integer, default=0),
            sa.Column("total_len", sa.Integer, default=0), sa.Column("complete", sa.Boolean, default=False),
            sqlite_autoincrement=True),  # a generation id is never reused: orphan rows can never become visible
        "visible": sa.Table("store_visible", md, sa.Column("policy", sa.String(200), primary_key=True),
                            sa.Column("version", sa.String(100), primary_key=True),
                            sa.Column("gen", sa.Integer, nullable=False)),
        "clauses": sa.Table("store_clauses", md, sa.Column("gen", sa.Integer, primary_key=True),
                            sa.Column("clause_id", sa.String(100), primary_key=True),
                            sa.Column("ord", sa.Integer, nullable=False), sa.Column("data", sa.Text, nullable=False)),
        "tasks": sa.Table("store_tasks", md, sa.Column("gen", sa.Integer, primary_key=True),
                          sa.Column("task_id", sa.String(100), primary_key=True),
                          sa.Column("item_id", sa.String(100), nullable=False, index=True),
                          sa.Column("ord", sa.Integer, nullable=False), sa.Column("data", sa.Text, nullable=False)),
        "chunks": sa.Table("store_chunks", md, sa.Column("gen", sa.Integer, primary_key=True),
                           sa.Column("ord", sa.Integer, primary_key=True),
                           sa.Column("item_id", sa.String(100), nullable=False),
                           sa.Column("data", sa.Text, nullable=False)),
        "terms": sa.Table("store_terms", md, sa.Column("gen", sa.Integer, primary_key=True),
                          sa.Column("token", sa.String(200), primary_key=True, index=True),
                          sa.Column("df", sa.Integer, nullable=False)),
    }
    return md, t


def _engine(url: str) -> Any:
    """The store's own engine (fold into the shared ``db.py`` at merge)."""
    sa = _sqlalchemy()
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StoreUnavailable(f"数据库地址无效（{_redact(url)}）。请检查配置项 database_url") from exc
    if url.startswith("sqlite"):
        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:  # readers keep reading while an ingest writes
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail}"


@dataclass
class Generation(PolicyInfo):
    """A visible plan version: its policy record, and the generation its rows are written under."""

    gen: int = 0
    content_hash: str = ""
    place: str = ""
    level: str = ""


class SqlTables:
    """The store's tables in one database; every method is one short transaction."""

    def __init__(self, url: str) -> None:
        sa = self._sa = _sqlalchemy()
        self.url = url
        self.engine = _engine(url)
        self.metadata, self.t = _tables(sa)
        try:
            with self.engine.begin() as conn:
                self.metadata.create_all(conn)
                row = conn.execute(sa.select(self.t["meta"].c.value).where(self.t["meta"].c.key == "schema")).first()
                if row is None:
                    conn.execute(self.t["meta"].insert(), [{"key": "schema", "value": str(SCHEMA_VERSION)},
                                                           {"key": "serial", "value": "0"}])
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(
                f"无法连接数据库（{_redact(url)}）：请确认数据库服务已启动、地址和账号正确（配置项 database_url）") from exc
        except sa.exc.IntegrityError:  # another process created the schema row first
            pass
        found = int(self._meta("schema") or 0)
        if found < SCHEMA_VERSION:
            raise SchemaOutdated(f"数据库表结构版本 {found} 早于程序所需的 {SCHEMA_VERSION}。"
                                 "请先备份数据库，再运行：policy-assistant ingest 重新导入政策")
        if found > SCHEMA_VERSION:
            raise SchemaOutdated(f"数据库表结构版本 {found} 比程序新（{SCHEMA_VERSION}）。请升级政策助手")

    def _run(self, fn: Any) -> Any:
        """Run ``fn(conn)`` in a transaction; a lost connection becomes StoreUnavailable."""
        try:
            with self.engine.begin() as conn:
                return fn(conn)
        except self._sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"数据库连接中断（{_redact(self.url)}）：请确认数据库服务正常后重试") from exc

    def _meta(self, key: str) -> str | None:
        c = self.t["meta"].c
        row = self._run(lambda conn: conn.execute(self._sa.select(c.value).where(c.key == key)).first())
        return None if row is None else str(row[0])

    def serial(self) -> int:
        """Bumped by every switch; readers reload their cached lists when it changes."""
        return int(self._meta("serial") or 0)

    # ----------------------------------------------------------------- writing
    def new_generation(self, record: dict[str, Any]) -> int:
        """A generation id for a plan version about to be written (not visible yet)."""
        table = self.t["generations"]
        return int(self._run(lambda conn: conn.execute(table.insert().values(**record, complete=False))
                             .inserted_primary_key[0]))

    def publish(self, gen: int, clauses: list[Clause], tasks: list[Task], chunks: list[Chunk],
                terms: dict[str, int], stats: dict[str, Any]) -> int | None:
        """Write a generation's rows and make it the visible one of its (policy, version), in one transaction.
        Returns the generation it replaced, if any."""
        sa, t = self._sa, self.t

        def write(conn: Any) -> int | None:
            if clauses:
                conn.execute(t["clauses"].insert(), [{"gen": gen, "clause_id": c.id, "ord": i,
                                                      "data": c.model_dump_json()} for i, c in enumerate(clauses)])
            if tasks:
                conn.execute(t["tasks"].insert(), [{"gen": gen, "task_id": x.id, "item_id": x.parent or x.id,
                                                    "ord": i, "data": x.model_dump_json()} for i, x in enumerate(tasks)])
            if chunks:
                conn.execute(t["chunks"].insert(), [{"gen": gen, "ord": i, "item_id": c.item_id, "data": c.model_dump_json()}
                                                    for i, c in enumerate(chunks)])
            if terms:
                conn.execute(t["terms"].insert(), [{"gen": gen, "token": k, "df": v} for k, v in terms.items()])
            g = t["generations"]
            row = conn.execute(sa.select(g.c.policy, g.c.version).where(g.c.gen == gen)).one()
            conn.execute(g.update().where(g.c.gen == gen).values(complete=True, **stats))
            v = t["visible"]
            old = conn.execute(sa.select(v.c.gen).where(v.c.policy == row.policy, v.c.version == row.version)).first()
            if old is None:
                conn.execute(v.insert().values(policy=row.policy, version=row.version, gen=gen))
            else:
                conn.execute(v.update().where(v.c.policy == row.policy, v.c.version == row.version).values(gen=gen))
            self._bump(conn)
            return None if old is None else int(old[0])

        return self._run(write)  # type: ignore[no-any-return]

    def hide(self, policy: str, version: str) -> int | None:
        """Remove a plan version from what askers see; returns its generation."""
        v = self.t["visible"]

        def write(conn: Any) -> int | None:
            old = conn.execute(self._sa.select(v.c.gen).where(v.c.policy == policy, v.c.version == version)).first()
            conn.execute(v.delete().where(v.c.policy == policy, v.c.version == version))
            self._bump(conn)
            return None if old is None else int(old[0])

        return self._run(write)  # type: ignore[no-any-return]

    def _bump(self, conn: Any) -> None:
        m = self.t["meta"]
        serial = int(conn.execute(self._sa.select(m.c.value).where(m.c.key == "serial")).scalar_one())
        conn.execute(m.update().where(m.c.key == "serial").values(value=str(serial + 1)))

    def drop(self, gens: Iterable[int]) -> None:
        """Delete the rows of generations nobody sees any more."""
        gens = list(gens)
        if not gens:
            return

        def write(conn: Any) -> None:
            for name in ("clauses", "tasks", "chunks", "terms", "generations"):
                conn.execute(self.t[name].delete().where(self.t[name].c.gen.in_(gens)))

        self._run(write)

    def hidden_generations(self) -> list[int]:
        """Generations not visible: replaced ones, and those of an ingest that never finished."""
        g, v = self.t["generations"], self.t["visible"]
        query = self._sa.select(g.c.gen).where(g.c.gen.not_in(self._sa.select(v.c.gen)))
        return [int(r[0]) for r in self._run(lambda conn: conn.execute(query).all())]

    # ----------------------------------------------------------------- reading
    def visible(self) -> list[Generation]:
        """The visible plan versions, in (policy, version) order."""
        g, v = self.t["generations"], self.t["visible"]
        query = self._sa.select(g).join(v, v.c.gen == g.c.gen).order_by(g.c.policy, g.c.version)
        rows = self._run(lambda conn: conn.execute(query).all())
        return [Generation(policy=r.policy, version=r.version, title=r.title, date=r.date or "", path=r.path or "",
                           sha256=r.sha256 or "", problems=[Problem(**p) for p in json.loads(r.problems or "[]")],
                           gen=r.gen, content_hash=r.content_hash, place=r.place or "", level=r.level or "")
                for r in rows]

    def user_words(self) -> list[str]:
        """Agency names and metrics of every visible plan (the lexical tokenizer's user dictionary)."""
        g, v = self.t["generations"], self.t["visible"]
        query = self._sa.select(g.c.user_words).join(v, v.c.gen == g.c.gen)
        words: set[str] = set()
        for row in self._run(lambda conn: conn.execute(query).all()):
            words.update(json.loads(row[0] or "[]"))
        return sorted(words)

    def corpus_stats(self, tokens: Iterable[str], gens: list[int] | None = None) -> tuple[int, int, dict[str, int]]:
        """(chunks, total token count, token → chunks holding it) over the plan versions ``gens`` (default: every
        visible one): word rarity counted within the searched plans, as the local index counts it."""
        sa, g, v, terms = self._sa, self.t["generations"], self.t["visible"], self.t["terms"]
        tokens = sorted(set(tokens))

        def read(conn: Any) -> tuple[int, int, dict[str, int]]:
            sizes = sa.select(sa.func.coalesce(sa.func.sum(g.c.n_chunks), 0), sa.func.coalesce(sa.func.sum(g.c.total_len), 0))
            sizes = sizes.where(g.c.gen.in_(gens)) if gens is not None else sizes.join(v, v.c.gen == g.c.gen)
            n, total = conn.execute(sizes).one()
            df: dict[str, int] = {}
            if tokens:
                query = sa.select(terms.c.token, sa.func.sum(terms.c.df)).where(terms.c.token.in_(tokens))
                query = query.where(terms.c.gen.in_(gens)) if gens is not None else query.join(v, v.c.gen == terms.c.gen)
                df = {str(tok): int(count) for tok, count in conn.execute(query.group_by(terms.c.token)).all()}
            return int(n), int(total), df

        return self._run(read)  # type: ignore[no-any-return]

    def clauses(self, gen: int) -> list[Clause]:
        c = self.t["clauses"].c
        query = self._sa.select(c.data).where(c.gen == gen).order_by(c.ord)
        return [Clause.model_validate_json(r[0]) for r in self._run(lambda conn: conn.execute(query).all())]

    def clause(self, gen: int, clause_id: str) -> Clause | None:
        c = self.t["clauses"].c
        query = self._sa.select(c.data).where(c.gen == gen, c.clause_id == clause_id)
        row = self._run(lambda conn: conn.execute(query).first())
        return None if row is None else Clause.model_validate_json(row[0])

    def task(self, gen: int, task_id: str) -> Task | None:
        c = self.t["tasks"].c
        query = self._sa.select(c.data).where(c.gen == gen, c.task_id == task_id)
        row = self._run(lambda conn: conn.execute(query).first())
        return None if row is None else Task.model_validate_json(row[0])

    def item_tasks(self, gen: int, item_id: str) -> list[Task]:
        c = self.t["tasks"].c
        query = self._sa.select(c.data).where(c.gen == gen, c.item_id == item_id).order_by(c.ord)
        return [Task.model_validate_json(r[0]) for r in self._run(lambda conn: conn.execute(query).all())]

    def chunk_items(self, gens: list[int]) -> list[tuple[int, int, str]]:
        """(gen, ord, item id) of every chunk of the given generations: one primary-key range read per generation."""
        c = self.t["chunks"].c
        query = self._sa.select(c.gen, c.ord, c.item_id).where(c.gen.in_(gens))
        return [(int(g), int(o), str(i)) for g, o, i in self._run(lambda conn: conn.execute(query).all())]

    def count(self, name: str, gens: list[int]) -> int:
        c = self.t[name].c
        query = self._sa.select(self._sa.func.count()).select_from(self.t[name]).where(c.gen.in_(gens))
        return int(self._run(lambda conn: conn.execute(query).scalar_one()))

    def stream(self, name: str, gens: list[int]) -> Iterator[str]:
        """The JSON of every row of ``name`` (tasks or chunks) of ``gens``, in order, a few plans at a time."""
        c = self.t[name].c
        for i in range(0, len(gens), 50):
            query = self._sa.select(c.data).where(c.gen.in_(gens[i:i + 50])).order_by(c.gen, c.ord)
            yield from (r[0] for r in self._run(lambda conn, q=query: conn.execute(q).all()))

    def close(self) -> None:
        self.engine.dispose()
