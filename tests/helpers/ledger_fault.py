"""Run a ledger sync or report and stop dead inside its transaction (after its writes reached the database):
writes MARKER, then sleeps until the test kills the process with SIGKILL.

python ledger_fault.py sync|report DATABASE_URL CORPUS_DIR MARKER [OUTPUT]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from assistant.ledger import service
from assistant.settings import Settings

stage, url, corpus, marker = sys.argv[1:5]
original = service.Ledger._log


def pausing_log(self, session, by, action, entry=None, field_="", old="", new="", reason=""):  # noqa: ANN001, ANN202
    original(self, session, by, action, entry, field_, old, new, reason)
    if entry is None and action == stage:
        session.flush()  # every write of the run is now in the database's open transaction
        Path(marker).write_text("in the transaction", "utf-8")
        time.sleep(600)


service.Ledger._log = pausing_log  # type: ignore[method-assign]
ledger = service.Ledger(Settings(corpus_dir=Path(corpus), database_url=url))
if stage == "sync":
    ledger.sync()
else:
    ledger.report("xlsx", output=Path(sys.argv[5]))
