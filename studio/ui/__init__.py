"""Widgets only: each binds to a model in `studio.models` and owns no application state."""
