"""Run every benchmark in its own process and print one JSON line each (`make bench`)."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "engine_overhead",
    "interrupt_latency",
    "first_progress",
    "history_scale",
    "cold_start",
    "gui_responsiveness",
)


def main() -> int:
    failed = 0
    for name in BENCHMARKS + tuple(sys.argv[1:]):
        result = subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
