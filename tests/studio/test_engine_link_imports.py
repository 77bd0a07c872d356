"""Import hygiene of the engine link and the CLI, checked in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_the_cli_imports_neither_qt_nor_torch():
    # A render server or CI box may lack Qt's system libraries: the CLI must not need them.
    done = _run(
        "import sys, studio.__main__, studio.cli, studio.engine_link.subprocess_link\n"
        "heavy = ('PySide6', 'torch', 'diffusers', 'transformers')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_many_void_qt_calls_do_not_exhaust_none():
    # PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void call and a
    # long GUI session aborts ("deallocating None"); pyproject pins below 6.12 for that.
    done = _run(
        "import studio\n"
        "from PySide6.QtCore import QCoreApplication, QTimer\n"
        "app = QCoreApplication([])\n"
        "timer = QTimer()\n"
        "for _ in range(20000):\n"
        "    timer.stop()\n"
        "    QCoreApplication.processEvents()\n"
        "print('alive')"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "alive"
