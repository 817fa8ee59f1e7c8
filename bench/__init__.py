"""Benchmark of policy-assistant: ``python bench/run.py [--quick]``. Helpers only; nothing here is imported by the package."""
