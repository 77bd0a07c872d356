"""Kinora inference engine: a background process that owns the GPU (see engine/protocol.py)."""

__version__ = "0.1.0"
