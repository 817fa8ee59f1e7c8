"""Fault drill: a process killed (SIGKILL) during a revision carry-over or a report leaves the ledger as it was,
and the next run completes. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import QINGDAO, QINGDAO_V2, ROOT
from sqlalchemy import select

from assistant.db import make_engine, migrate, transaction
from assistant.ledger.models import AuditRecord, LedgerEntry, LedgerPlan, ProgressReport
from assistant.ledger.service import Ledger
from assistant.settings import Settings

HELPER = ROOT / "tests" / "helpers" / "ledger_fault.py"
POLICY = "qingdao_urban_rural_carbon_peak"


def _snapshot(ledger: Ledger) -> tuple[object, ...]:
    with transaction(ledger.engine) as s:
        entries = [(e.id, e.task_id, e.unit, e.role, e.status, e.version, e.targets_json, e.plan_version)
                   for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
        plans = [(p.version, p.current) for p in s.scalars(select(LedgerPlan).order_by(LedgerPlan.id))]
        audit = len(s.scalars(select(AuditRecord.id)).all())
        reports = len(s.scalars(select(ProgressReport.id)).all())
    return entries, plans, audit, reports


def _killed_in_transaction(args: list[str], marker: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(HELPER), *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "helper ended early")
            assert time.monotonic() < deadline, "the helper never reached its transaction"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


@pytest.fixture
def drill(database_url: str, tmp_path: Path):  # noqa: ANN201
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    settings = Settings(corpus_dir=corpus, database_url=database_url, attachments_dir=tmp_path / "files")
    engine = make_engine(database_url)
    migrate(engine)
    ledger = Ledger(settings, engine, clock=lambda: datetime(2025, 3, 1, 9))
    ledger.create(POLICY)
    entry = ledger.entries(unit="市城市管理局")[0]
    ledger.update(entry.id, by="张三", note="已开展调研", status="推进中")
    yield ledger, corpus, tmp_path
    engine.dispose()


@pytest.mark.slow
def test_killed_during_a_revision_carry_over(drill) -> None:  # noqa: ANN001
    ledger, corpus, tmp_path = drill
    shutil.copy(QINGDAO_V2, corpus / QINGDAO_V2.name)
    before = _snapshot(ledger)
    marker = tmp_path / "marker"
    _killed_in_transaction(["sync", ledger.settings.database_url, str(corpus), str(marker)], marker)
    assert _snapshot(ledger) == before
    [report] = ledger.sync()
    assert (report.new_version, report.closed, report.added) == ("v2", 1, 6)
    assert [p["version"] for p in ledger.plans() if p["current"]] == ["v2"]


@pytest.mark.slow
def test_killed_during_a_report(drill) -> None:  # noqa: ANN001
    ledger, corpus, tmp_path = drill
    before = _snapshot(ledger)
    marker, output = tmp_path / "marker", tmp_path / "out" / "通报.xlsx"
    _killed_in_transaction(["report", ledger.settings.database_url, str(corpus), str(marker), str(output)], marker)
    assert _snapshot(ledger) == before
    assert not output.exists()
    ledger.report("xlsx", output=output)
    assert output.exists() and _snapshot(ledger)[2] == before[2] + 1
