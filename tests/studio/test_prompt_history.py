"""The prompt history read from the project database: jobs and takes, newest first."""

from __future__ import annotations

import pytest

from engine import protocol
from studio.models.prompt_history import LIMIT, PromptHistory, distinct_prompts
from studio.store.projects import create_project
from studio.store.prompts import recent_prompts
from studio.store.takes import NewTake


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


def stamp(minute: int) -> str:
    return f"2026-11-01T10:{minute:02d}:00.000+00:00"


def add_job(project, prompt: str, minute: int, job_id: str | None = None) -> None:
    job = protocol.GenerateJob(job_id=job_id or f"j{minute}", output_path="", prompt=prompt)
    project.jobs.add(job, created_at=stamp(minute))


def add_take(project, prompt: str, minute: int, kind: str = "generate") -> None:
    project.takes.add(
        NewTake(
            created_at=stamp(minute),
            kind=kind,
            model="demo",
            video_path=f"media/clips/{minute}.mp4",
            recipe={"prompt": prompt},
            prompt=prompt,
        )
    )


def test_jobs_and_takes_merge_newest_first(project):
    add_take(project, "a take from before the queue was cleared", 1)
    add_job(project, "a job", 2)
    add_take(project, "a take", 3)
    add_job(project, "", 4)  # an empty prompt is not history
    project.jobs.add(protocol.UpscaleJob(job_id="up", output_path="", source_clip="x.mp4"))
    assert recent_prompts(project.database) == [
        "a take",
        "a job",
        "a take from before the queue was cleared",
    ]


def test_the_history_lists_the_artists_words_once(project):
    add_job(project, "a red ball bounces, wide shot, camera pans left", 1)
    add_take(project, "a red ball bounces, wide shot, camera pans left", 2)
    add_job(project, "a blue   square\nslides", 3)
    add_job(project, "a blue square slides", 4)  # same words, other spacing: one entry
    history = PromptHistory(lambda: project)
    assert history.recent() == ["a blue square slides", "a red ball bounces"]


def test_the_menu_holds_at_most_the_limit(project):
    for minute in range(LIMIT + 5):
        add_job(project, f"prompt {minute}", minute)
    recent = PromptHistory(lambda: project).recent()
    assert len(recent) == LIMIT and recent[0] == f"prompt {LIMIT + 4}"


def test_no_project_or_a_closed_one_has_no_history(tmp_path):
    assert PromptHistory().recent() == []
    project = create_project(tmp_path / "closed")
    add_job(project, "gone", 1)
    project.close()
    assert PromptHistory(lambda: project).recent() == []


def test_browsing_follows_the_project_open_now(project, tmp_path):
    other = create_project(tmp_path / "other")
    add_job(project, "from the first project", 1)
    add_job(other, "from the second project", 1)
    current = {"project": project}
    history = PromptHistory(lambda: current["project"])
    assert history.older("") == "from the first project"
    current["project"] = other
    assert history.recent() == ["from the second project"]
    other.close()


def test_distinct_prompts_skips_empty_and_keeps_the_newest_spelling():
    assert distinct_prompts(["  ", "Hello  world", "hello world", "Hello world"]) == [
        "Hello  world",
        "hello world",
    ]
