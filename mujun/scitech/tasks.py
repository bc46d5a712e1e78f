"""The tasks under the People's Congress's supervision (人大监督的重点任务) and which are behind.

Tasks are data (`tasks.toml`, or a district's own file) validated by `Tasks`. A task is behind
schedule on a day when it is marked `behind`, or when it is not done and its due date has passed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mujun.scitech.targets import Targets

TASKS_FILE = Path(__file__).with_name("tasks.toml")
AREAS = {
    "coordination": "统筹协调机制",
    "spatial_planning": "空间规划",
    "platforms_projects": "平台和项目",
    "technology_transfer": "成果转化",
    "talent": "人才",
    "infrastructure": "基础设施",
    "ecosystem": "创新生态",
}
STATUS_LABELS = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "done": "已完成",
    "behind": "滞后",
}


class TasksError(ValueError):
    """A tasks file that cannot be read or does not validate."""


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    text: str


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    area: Literal[
        "coordination",
        "spatial_planning",
        "platforms_projects",
        "technology_transfer",
        "talent",
        "infrastructure",
        "ecosystem",
    ]
    title: str
    unit: str
    due: dt.date
    status: Literal["not_started", "in_progress", "done", "behind"]
    notes: list[Note] = []
    indicators: list[str] = []


class Tasks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: list[Task] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Tasks:
        ids = [t.id for t in self.task]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate task ids {dupes}")
        return self


def load_tasks(path: str | Path | None = None, targets: Targets | None = None) -> Tasks:
    """The shipped tasks, or a district's own file; with `targets`, every linked indicator must be
    one of their ids."""
    path = Path(path) if path is not None else TASKS_FILE
    try:
        with open(path, "rb") as fh:
            tasks = Tasks.model_validate(tomllib.load(fh))
    except OSError as exc:
        raise TasksError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TasksError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()
        ]
        raise TasksError("\n".join(lines)) from None
    if targets is not None:
        known = {t.id for t in targets.target}
        bad = [(t.id, i) for t in tasks.task for i in t.indicators if i not in known]
        if bad:
            raise TasksError(
                "\n".join(f"{path}: task {tid}: unknown indicator {i!r}" for tid, i in bad)
            )
    return tasks


def tasks_frame(tasks: Tasks, as_of: dt.date) -> pl.DataFrame:
    """One row per task: id, area, title, unit, due, status, behind (as of `as_of`), days_overdue,
    last_note (the latest note on or before `as_of`), last_note_on, indicators (`;`-joined)."""
    rows = []
    for t in tasks.task:
        past = sorted((n for n in t.notes if n.date <= as_of), key=lambda n: n.date)
        overdue = (as_of - t.due).days if t.status != "done" and t.due < as_of else 0
        rows.append(
            {
                "id": t.id,
                "area": t.area,
                "title": t.title,
                "unit": t.unit,
                "due": t.due,
                "status": t.status,
                "behind": t.status == "behind" or overdue > 0,
                "days_overdue": overdue,
                "last_note": past[-1].text if past else None,
                "last_note_on": past[-1].date if past else None,
                "indicators": ";".join(t.indicators),
            }
        )
    schema = {
        "id": pl.String,
        "area": pl.String,
        "title": pl.String,
        "unit": pl.String,
        "due": pl.Date,
        "status": pl.String,
        "behind": pl.Boolean,
        "days_overdue": pl.Int64,
        "last_note": pl.String,
        "last_note_on": pl.Date,
        "indicators": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def behind_schedule(tasks: Tasks, as_of: dt.date) -> pl.DataFrame:
    """The tasks behind schedule on `as_of`, most overdue first."""
    return (
        tasks_frame(tasks, as_of)
        .filter(pl.col("behind"))
        .sort(["days_overdue", "id"], descending=[True, False])
    )
