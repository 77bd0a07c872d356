"""Benchmarks: each module prints one JSON object; `python -m bench.run_all` runs them all."""
