"""Cold start: from launching the studio to a window a person can use.

Each trial starts a fresh Python process that runs the real start-up path
(`studio.app.run_gui`) and reports the moment the main window is shown and the event loop
has run once (the first paint has happened, clicks are served). The engine starts in the
background during that time; torch is imported only by the engine process, and the child
checks that the GUI process never loaded it.

Baseline in the same run: a bare `python -c "import PySide6.QtWidgets"` (the least any
Qt app pays) and a bare `python -c "import torch"` (what the GUI would pay if it imported
torch). Target (issue 5): <= 2.0 s median. Prints one JSON object.

    python -m bench.cold_start [--trials 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 2.0
CHILD_FLAG = "--child"


def child() -> int:
    """Run the real GUI start-up; print seconds to interactive, then quit."""
    launched = float(os.environ["KINORA_BENCH_LAUNCHED"])
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio import app as studio_app

    qapp = QApplication(sys.argv)
    report: dict = {}

    def check() -> None:
        windows = [w for w in qapp.topLevelWidgets() if w.objectName() == "MainWindow"]
        if windows and windows[0].isVisible():
            report["interactive_s"] = time.time() - launched
            report["torch_in_gui"] = "torch" in sys.modules
            qapp.quit()
        else:
            QTimer.singleShot(1, check)

    QTimer.singleShot(0, check)
    studio_app.run_gui(sys.argv)
    print(json.dumps(report), flush=True)
    return 0


def _time_command(args: list[str], env: dict) -> float:
    start = time.time()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.time() - start


def trial(env: dict) -> dict:
    env = dict(env, KINORA_BENCH_LAUNCHED=repr(time.time()))
    out = subprocess.run(
        [sys.executable, "-m", "bench.cold_start", CHILD_FLAG],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    if CHILD_FLAG in sys.argv:
        return child()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kinora-cold-") as data:
        env = dict(os.environ, KINORA_DATA_DIR=data, QT_QPA_PLATFORM="offscreen")
        trial(env)  # first start creates the default project and warms the OS file cache
        trials = [trial(env) for _ in range(args.trials)]
        qt_only = [
            _time_command([sys.executable, "-c", "import PySide6.QtWidgets"], env)
            for _ in range(args.trials)
        ]
        torch_only = [_time_command([sys.executable, "-c", "import torch"], env) for _ in range(3)]
    interactive = [t["interactive_s"] for t in trials]
    median = statistics.median(interactive)
    result = {
        "benchmark": "cold_start",
        "trials": args.trials,
        "interactive_median_s": round(median, 3),
        "interactive_max_s": round(max(interactive), 3),
        "baseline_import_qt_median_s": round(statistics.median(qt_only), 3),
        "baseline_import_torch_median_s": round(statistics.median(torch_only), 3),
        "torch_imported_by_gui": any(t["torch_in_gui"] for t in trials),
        "target_s": TARGET_S,
        "ok": median <= TARGET_S and not any(t["torch_in_gui"] for t in trials),
    }
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
