"""Reading still images (start/end frames, reference images) with clear input errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.errors import bad_input


def check_image(path: str | os.PathLike[str], what: str = "image") -> None:
    """Fail with bad_input unless `path` is a readable image; decodes it fully."""
    read_image(path, what)


def read_image(path: str | os.PathLike[str], what: str = "image") -> np.ndarray:
    """Load an image as uint8 RGB (H, W, 3); alpha is composited over black."""
    file = Path(path)
    if not file.exists():
        raise bad_input(f"the {what} {file} does not exist")
    if not file.is_file():
        raise bad_input(f"the {what} {file} is not a file")
    if file.stat().st_size == 0:
        raise bad_input(f"the {what} {file} is empty (0 bytes)")
    try:
        with Image.open(file) as img:
            img.load()  # force the full decode so a truncated file fails here, not later
            rgb = img.convert("RGB")
    except UnidentifiedImageError as exc:
        raise bad_input(f"the {what} {file} is not an image Pillow can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise bad_input(f"the {what} {file} is corrupt or truncated ({exc})") from exc
    return np.asarray(rgb, dtype=np.uint8).copy()


def fit_image(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to cover `width` x `height` (keeping the aspect), then centre-crop."""
    src_h, src_w = image.shape[:2]
    if (src_w, src_h) == (width, height):
        return image.copy()
    scale = max(width / src_w, height / src_h)
    new_w, new_h = max(width, round(src_w * scale)), max(height, round(src_h * scale))
    resized = Image.fromarray(image).resize((new_w, new_h), Image.Resampling.LANCZOS)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return np.array(resized.crop((left, top, left + width, top + height)), dtype=np.uint8)


def save_png(image: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write a uint8 RGB image as PNG via a temporary name, so readers never see half of it."""
    tmp = f"{path}.tmp"
    Image.fromarray(image).save(tmp, format="PNG")
    os.replace(tmp, path)
