"""Application state and actions as QObjects with signals; no QtWidgets here (STYLE 2)."""
