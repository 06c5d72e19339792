"""Benchmarks: each times the lab beside its anchor on the same work and prints the ratio.

Run from the repository root as modules, e.g. ``.venv/bin/python -m benchmarks.page``."""
