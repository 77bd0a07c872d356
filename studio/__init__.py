"""Kinora Studio: the PySide6 desktop app and the `studio` CLI. Never imports torch."""
