"""The studio's side of the engine boundary.

- `client`: Qt-free core (engine command line, line parser, job bookkeeping, engine.log).
- `qt_link.EngineLink`: the GUI's QProcess adapter (signals on the GUI thread).
- `subprocess_link.SubprocessLink`: the CLI's blocking adapter (stdlib subprocess).

Import the adapters from their modules: importing this package does not pull in Qt.
"""

from studio.engine_link.client import STATES, engine_command

__all__ = ["STATES", "engine_command"]
