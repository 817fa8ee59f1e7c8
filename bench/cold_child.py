"""Run in a fresh interpreter: where the time of a cold ``policy-assistant ask`` goes, phase by phase.

    python bench/cold_child.py INDEX_DIR CORPUS_DIR QUESTION

Mirrors what the CLI does (import, settings, engine.status(), engine.assistant(), ask) and prints one
JSON line of seconds per phase. Interpreter start-up itself is measured by the parent.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    index_dir, corpus_dir, question = sys.argv[1], sys.argv[2], sys.argv[3]
    t = [time.perf_counter()]
    import assistant.cli  # what the console script imports first

    _ = assistant.cli.app
    from assistant.engine import Engine
    from assistant.settings import load_settings

    t.append(time.perf_counter())
    engine = Engine(load_settings(index_dir=index_dir, corpus_dir=corpus_dir))
    _ = engine.embedder
    t.append(time.perf_counter())
    engine.status()
    t.append(time.perf_counter())
    engine.index(rebuild=False)
    t.append(time.perf_counter())
    helper = engine.assistant(rebuild=False)
    t.append(time.perf_counter())
    helper.ask(question)
    t.append(time.perf_counter())
    names = ["imports", "embedder_load", "status_check", "index_load", "assistant_init", "first_answer"]
    print(json.dumps({n: round(b - a, 4) for n, a, b in zip(names, t, t[1:])}))


if __name__ == "__main__":
    main()
