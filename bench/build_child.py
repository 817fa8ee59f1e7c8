"""Run in a fresh interpreter: build (or re-ingest) one index and print one JSON line about it.

    python bench/build_child.py CORPUS_DIR INDEX_DIR

Peak memory is this process's own ``ru_maxrss`` (interpreter, imports, model and build together);
the parent also reads it per child with ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    corpus_dir, index_dir = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    from assistant.engine import Engine
    from assistant.settings import Settings

    engine = Engine(Settings(corpus_dir=corpus_dir, index_dir=index_dir))
    _ = engine.embedder
    ready = time.perf_counter()
    report = engine.ingest()
    built = time.perf_counter()
    print(json.dumps({
        "import_and_model_s": ready - started, "ingest_s": built - ready, "report_seconds": report.seconds,
        "policies": report.policies, "chunks": report.chunks, "embedded": report.embedded, "reused": report.reused,
        "failures": len(report.failures), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
