"""Policies, clauses, task rows and chunk records of the Milvus store, in SQL (SQLAlchemy Core).

The tables are defined in ``store/tables.py`` and made by the Alembic migrations the ledger's tables are made
by; the engine is ``db.make_engine`` of ``settings.database_url`` (SQLite file by default, PostgreSQL by URL).
A database without any of our tables is migrated on first open (as ``policy-assistant db migrate`` would); one
whose schema is older than the code is refused with SchemaOutdated and that command as the fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy

from ..db import check_schema, current_revision, display_url, make_engine, migrate
from ..errors import DatabaseUnreachable, SchemaOutdated, StoreUnavailable
from ..index import PolicyInfo
from ..schema import Chunk, Clause, PolicyRecord, Problem, Task
from .tables import TABLES


def _wal(connection: Any, _record: Any) -> None:
    """SQLite: readers keep reading while an ingest writes."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclass
class Generation(PolicyInfo):
    """A visible plan version: its policy record, and the generation its rows are written under."""

    gen: int = 0
    content_hash: str = ""


def generation_columns(record: PolicyRecord | None, appendix: str, appendix_start: int) -> dict[str, Any]:
    """The columns of a plan version that PolicyInfo carries beside its title: its record and its appendix."""
    return {"record": record.model_dump_json() if record else "", "appendix": appendix, "appendix_start": appendix_start}


class SqlTables:
    """The store's tables in one database; every method is one short transaction."""

    def __init__(self, url: str) -> None:
        self._sa = sqlalchemy
        self.url = url
        self.t = TABLES
        try:
            self.engine = make_engine(url)
        except DatabaseUnreachable as exc:
            raise StoreUnavailable(str(exc)) from exc
        if url.startswith("sqlite"):
            sqlalchemy.event.listen(self.engine, "connect", _wal)
        try:
            self._ready()
        except DatabaseUnreachable as exc:
            self.engine.dispose()
            raise StoreUnavailable(str(exc)) from exc
        except SchemaOutdated:
            self.engine.dispose()
            raise

    def _ready(self) -> None:
        """Make the tables in a database that has none of ours; refuse one whose schema is older than the code."""
        if current_revision(self.engine) is None:
            with self.engine.connect() as conn:
                ours = [n for n in sqlalchemy.inspect(conn).get_table_names() if n.startswith(("store_", "ledger_"))]
            if ours:
                raise SchemaOutdated(f"数据库 {display_url(self.url)} 中的数据表由旧版本建立。"
                                     "请先备份数据库，再运行：policy-assistant db migrate")
            try:
                migrate(self.engine)
            except sqlalchemy.exc.DBAPIError:  # another process made them meanwhile: the check below decides
                pass
        check_schema(self.engine)

    def _run(self, fn: Any) -> Any:
        """Run ``fn(conn)`` in a transaction; a lost connection becomes StoreUnavailable."""
        try:
            with self.engine.begin() as conn:
                return fn(conn)
        except self._sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"数据库连接中断（{display_url(self.url)}）：请确认数据库服务正常后重试") from exc

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
                           record=PolicyRecord.model_validate_json(r.record) if r.record else None,
                           appendix=r.appendix, appendix_start=r.appendix_start, gen=r.gen, content_hash=r.content_hash)
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
