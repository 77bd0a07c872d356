"""Entry point of the frozen (PyInstaller) bundle.

One executable serves both processes: the studio starts the engine by running itself with
`--engine` first (see studio/engine_link/client.py), so no Python is needed on the machine.
"""

import sys


def main() -> int:
    if sys.argv[1:2] == ["--engine"]:
        from engine.__main__ import main as engine_main

        return engine_main(sys.argv[2:])
    from studio.__main__ import main as studio_main

    return studio_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
