"""History at scale: open a project of 100,000 takes, show the first page, search prompts.

Prints one JSON object. Targets (issue 5): opening the project (database open + first
page of the grid) <= 1 s; a full-text search (first page of matches, the median of a few
typical searches) <= 50 ms. The count of matches comes a moment later (HistoryGrid) and is
reported on its own.

    python -m bench.history_scale [--takes 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from studio.store.projects import Project, create_project, open_project

COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "white", "black", "crimson")
OBJECTS = ("ball", "square", "triangle", "circle", "box", "sphere")
MOTIONS = ("moves left", "moves right", "bounces", "grows", "shrinks", "stays still")
BACKGROUNDS = ("a sunset", "a blue sky", "textured ground", "a plain grey wall", "a gradient")
MODELS = ("demo", "wan-1.3b", "ltx-video", "cogvideox-2b")

OPEN_TARGET_S = 1.0
SEARCH_TARGET_S = 0.050


def fill(project: Project, count: int, seed: int = 0) -> None:
    """Insert `count` takes with varied prompts in one transaction (no files)."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(count):
        prompt = (
            f"a {rng.choice(COLOURS)} {rng.choice(OBJECTS)} {rng.choice(MOTIONS)} "
            f"over {rng.choice(BACKGROUNDS)}"
        )
        created = (start + dt.timedelta(seconds=37 * i)).isoformat(timespec="milliseconds")
        recipe = json.dumps({"prompt": prompt, "seed": i, "steps": 20})
        rows.append(
            (created, "generate", rng.choice(MODELS), prompt, i, 20, 4.0, 256, 144, 12.0, 2.0,
             f"media/clips/{i}.mp4", f"media/thumbnails/{i}.png", recipe,
             rng.randint(0, 5), int(rng.random() < 0.1))
        )  # fmt: skip
    with project.database.transaction() as conn:
        conn.executemany(
            "INSERT INTO takes (created_at, kind, model, prompt, seed, steps, guidance, width,"
            " height, fps, duration, video_path, thumbnail_path, recipe, rating, favourite)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run(takes: int, folder: Path) -> dict:
    """Build the project, then time a cold open, the first page and a search."""
    from PySide6.QtCore import QCoreApplication

    from studio.models.history import History

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 (models need one)
    project = create_project(folder / "big")
    _, fill_s = _timed(lambda: fill(project, takes))
    project.close()

    project, open_s = _timed(lambda: open_project(folder / "big"))
    history, page_s = _timed(lambda: History(project))
    rows = history.grid.rowCount()
    total, count_s = _timed(lambda: history.grid.total)
    _, search_s = _timed(
        lambda: history.grid.set_filter(history.grid.filter.replace(search="purple ball"))
    )
    found = history.grid.rowCount()
    matches, search_count_s = _timed(lambda: history.grid.total)
    _, prefix_s = _timed(lambda: history.grid.set_filter(history.grid.filter.replace(search="cri")))
    # Warm searches, as a person types one after another: the median is the typical wait.
    warm = [
        _timed(lambda q=q: history.grid.set_filter(history.grid.filter.replace(search=q)))[1]
        for q in ("red", "green box", "sunset", "bou", "yellow triangle grows", "sky")
    ]
    _, filtered_s = _timed(
        lambda: history.grid.set_filter(
            history.grid.filter.replace(search="", model="demo", min_rating=4)
        )
    )
    project.close()
    open_total = open_s + page_s
    search_page = statistics.median(warm)
    return {
        "benchmark": "history_scale",
        "takes": takes,
        "fill_s": round(fill_s, 3),
        "open_project_s": round(open_s, 4),
        "first_page_s": round(page_s, 4),
        "first_page_rows": rows,
        "open_and_first_page_s": round(open_total, 4),
        "count_all_s": round(count_s, 4),
        "total": total,
        "search_s": round(search_s, 4),
        "search_prefix_s": round(prefix_s, 4),
        "search_first_page_rows": found,
        "search_count_s": round(search_count_s, 4),
        "search_matches": matches,
        "search_warm_median_s": round(statistics.median(warm), 4),
        "search_warm_max_s": round(max(warm), 4),
        "filter_model_rating_s": round(filtered_s, 4),
        "targets": {"open_and_first_page_s": OPEN_TARGET_S, "search_s": SEARCH_TARGET_S},
        "ok": open_total <= OPEN_TARGET_S and search_page <= SEARCH_TARGET_S,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kinora-history-") as scratch:
        result = run(args.takes, Path(scratch))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
