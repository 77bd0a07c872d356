"""Kinora Studio: the PySide6 desktop app and the `studio` CLI. Never imports torch."""

import sys


def _guard_pyside_none_refcount() -> None:
    """Keep CPython 3.11 alive under PySide6 6.12.0, whose void methods decref None.

    Every Python call to a Qt method returning void (QTimer.start, QEventLoop.quit,
    QCoreApplication.processEvents, QLabel.setText, ...) drops one reference to None
    without taking one (some bool-returning ones do it to True/False): 6.12.0 treats
    them as immortal, which it is only from Python 3.12.
    After a few thousand calls None is "deallocated" and the process aborts
    ("none_dealloc: deallocating None"). 6.11.x does not have the bug. Until the pin moves
    off 6.12.0, give None a reference count no session can exhaust, which is exactly
    what 3.12's immortal objects do. Harmless otherwise: None is never freed anyway.
    """
    if sys.version_info >= (3, 12):
        return
    try:
        from importlib.metadata import PackageNotFoundError, version

        if version("shiboken6") != "6.12.0":
            return
    except PackageNotFoundError:
        return
    import ctypes

    # ob_refcnt is the first field of every CPython object. True and False suffer the
    # same way from some bool-returning methods; the small ints are shared singletons too.
    for shared in (None, True, False, *range(-5, 257)):
        ctypes.c_ssize_t.from_address(id(shared)).value += 1 << 40


_guard_pyside_none_refcount()
