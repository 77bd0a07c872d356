"""The prompts a project was rendered with, newest first: the prompt panel's history.

Read from what the project already keeps, so the history needs no table of its own and
follows the project: queued and finished jobs (`jobs.job` JSON, which also holds jobs that
failed or were cancelled) and takes (`takes.prompt`, which outlives a cleared queue).
Both reads are bounded, so a project with thousands of takes costs the same as a new one.
"""

from __future__ import annotations

from studio.store.database import Database

SCAN = 400
"""Rows read from each table: enough for a menu of recent prompts after de-duplication."""


def recent_prompts(database: Database, scan: int = SCAN) -> list[str]:
    """Prompts as sent to the engine, newest first, repeats included (the caller folds
    and de-duplicates). Empty prompts are left out."""
    jobs = database.rows(
        "SELECT json_extract(job, '$.prompt') AS prompt, created_at FROM jobs"
        " WHERE json_valid(job) ORDER BY created_at DESC LIMIT ?",
        (scan,),
    )
    # Ids are given in creation order, so the primary key serves "newest first" unsorted.
    takes = database.rows(
        "SELECT prompt, created_at FROM takes WHERE prompt != '' ORDER BY id DESC LIMIT ?",
        (scan,),
    )
    found = [
        (row["created_at"] or "", row["prompt"])
        for row in (*jobs, *takes)
        if isinstance(row["prompt"], str) and row["prompt"].strip()
    ]
    # Both tables stamp `created_at` the same way (ISO 8601 UTC), so they sort together;
    # the sort is stable, so a job and its take created in the same millisecond keep order.
    found.sort(key=lambda item: item[0], reverse=True)
    return [prompt for _when, prompt in found]
