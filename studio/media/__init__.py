"""Media reading for the studio (PyAV); read-only, never imports the engine's media code."""
