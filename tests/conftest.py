"""Shared fixtures: the package's deterministic fake embedder (model "fake") for fast unit tests, and built indexes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.embeddings import HashEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"


FakeEmbedder = HashEmbedder  # the package's own fake model: embedding_model = "fake"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(QINGDAO, folder / QINGDAO.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path):  # noqa: ANN201
    from assistant.settings import Settings

    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")


@pytest.fixture
def fake_engine(settings, fake_embedder):  # noqa: ANN001, ANN201
    from assistant.engine import Engine

    engine = Engine(settings, fake_embedder)
    engine.ingest()
    return engine


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The default offline model over the bundled corpus, built once per test session."""
    from assistant.engine import Engine
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("real")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    engine = Engine(Settings(corpus_dir=corpus, index_dir=root / "index"))
    engine.ingest()
    return engine


# ------------------------------------------------------------------ databases for the ledger
QINGDAO_V2 = DATA / "revision" / "qingdao_urban_rural_carbon_peak_v2.txt"
PLAN_DATE = "2023-01-01"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server():  # noqa: ANN201
    """A throwaway PostgreSQL server for the session: (host, port, user). Started as the postgres user when run as root
    (PostgreSQL refuses root), in a temporary folder, fsync off, trust auth on 127.0.0.1."""
    import shutil as _shutil
    import subprocess
    import tempfile

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")
    bin_dir = bins[-1]
    root = Path(tempfile.mkdtemp(prefix="pa-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        _shutil.chown(root, "postgres", "postgres")
        _shutil.chown(sock, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
                    "start"], check=True, capture_output=True)
    try:
        yield ("127.0.0.1", port, "postgres")
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        _shutil.rmtree(root, ignore_errors=True)


def _new_pg_database(server: tuple[str, int, str]) -> tuple[str, str]:
    import uuid

    import psycopg

    host, port, user = server
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://{user}@{host}:{port}/{name}"


def _drop_pg_database(server: tuple[str, int, str], name: str) -> None:
    import psycopg

    host, port, user = server
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    """An empty database: a SQLite file, or a fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger' / 'policy-assistant.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name, url = _new_pg_database(server)
    try:
        yield url
    finally:
        _drop_pg_database(server, name)


@pytest.fixture(scope="session")
def qingdao_versions():  # noqa: ANN201
    """The Qingdao plan (v1, dated) and its revised fixture (v2), parsed once per session."""
    from assistant.policies import read_policy

    v1 = read_policy(QINGDAO)
    v1.date = PLAN_DATE
    v2 = read_policy(QINGDAO_V2)
    v2.date = "2025-06-01"
    return v1, v2


class Clock:
    """A settable clock for the ledger."""

    def __init__(self, now: str = "2025-01-10T09:00:00") -> None:
        from datetime import datetime

        self.now = datetime.fromisoformat(now)

    def set(self, now: str) -> None:
        from datetime import datetime

        self.now = datetime.fromisoformat(now)

    def __call__(self):  # noqa: ANN204
        return self.now


@pytest.fixture
def ledger_factory(database_url: str, tmp_path: Path, qingdao_versions):  # noqa: ANN001, ANN201
    """Make a migrated ledger on ``database_url`` whose corpus holds v1 (``revised=False``) or v1 and v2."""
    from assistant.db import make_engine, migrate
    from assistant.ledger.service import Ledger
    from assistant.policies import Corpus
    from assistant.settings import Settings

    v1, v2 = qingdao_versions
    state = {"revised": False}
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", database_url=database_url,
                        attachments_dir=tmp_path / "attachments", max_upload_mb=1)
    engine = make_engine(database_url)
    migrate(engine)
    made = []

    def make(clock: Clock | None = None):  # noqa: ANN202
        ledger = Ledger(settings, engine, corpus=lambda: Corpus([v1, v2] if state["revised"] else [v1]),
                        clock=clock or Clock())
        ledger.revise = lambda: state.update(revised=True)  # type: ignore[attr-defined]
        made.append(ledger)
        return ledger

    yield make
    engine.dispose()
