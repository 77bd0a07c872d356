"""Input files for engine tests: a small clip with a recipe, broken files of every kind."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from engine.media.video import write_mp4


def moving_square_clip(
    path: Path, frames: int = 9, size=(64, 32), fps: int = 8, recipe=None
) -> Path:
    """A clip of a white square moving right over a dark teal background."""
    width, height = size
    video = np.zeros((frames, height, width, 3), dtype=np.uint8)
    video[..., 1], video[..., 2] = 90, 110
    for t in range(frames):
        x = 2 + t * 3
        video[t, height // 3 : height // 3 + 6, x : x + 6] = 255
    recipe = recipe or {"recipe_version": 1, "prompt": "a white square moves right"}
    write_mp4(video, fps, str(path), recipe, "fixture")
    return path


def audio_only_file(path: Path) -> Path:
    """An MP4 with an AAC track and no video stream."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=22050)
        samples = np.zeros((1, 1024), dtype=np.float32)
        for _ in range(5):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 22050
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def broken_files(folder: Path) -> dict[str, Path]:
    """zero-byte, text, and truncated PNG / MP4 files."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    files = {"empty": folder / "empty.png", "text": folder / "notes.png"}
    files["empty"].write_bytes(b"")
    files["text"].write_text("not an image at all")
    png = folder / "full.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(png)
    files["truncated_png"] = folder / "truncated.png"
    files["truncated_png"].write_bytes(png.read_bytes()[:60])
    files["empty_mp4"] = folder / "empty.mp4"
    files["empty_mp4"].write_bytes(b"")
    files["text_mp4"] = folder / "text.mp4"
    files["text_mp4"].write_text("this is not a video")
    files["audio_only"] = audio_only_file(folder / "voice.mp4")
    return files
