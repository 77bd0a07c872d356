"""Reading and writing images and videos (PyAV, Pillow): atomic writes, clear input errors."""
