"""The People's Congress tasks: which are behind schedule on a given day."""

from __future__ import annotations

import datetime as dt

import pytest

from mujun.scitech.targets import load_targets
from mujun.scitech.tasks import AREAS, TasksError, behind_schedule, load_tasks, tasks_frame

TASKS = """
[[task]]
id = "A"
area = "coordination"
title = "done late: not behind"
unit = "u"
due = 2022-03-31
status = "done"

[[task]]
id = "B"
area = "talent"
title = "in progress past its due date"
unit = "u"
due = 2022-10-31
status = "in_progress"
notes = [{ date = 2022-06-30, text = "first" }, { date = 2022-11-15, text = "second" }, { date = 2023-02-01, text = "later" }]

[[task]]
id = "C"
area = "infrastructure"
title = "marked behind before its due date"
unit = "u"
due = 2023-06-30
status = "behind"

[[task]]
id = "D"
area = "ecosystem"
title = "not started, not yet due"
unit = "u"
due = 2023-12-31
status = "not_started"

[[task]]
id = "E"
area = "spatial_planning"
title = "not started, long overdue"
unit = "u"
due = 2022-01-31
status = "not_started"
indicators = ["chips_listed"]
"""


@pytest.fixture
def tasks(tmp_path):
    path = tmp_path / "tasks.toml"
    path.write_text(TASKS, encoding="utf-8")
    return load_tasks(path, targets=load_targets())


def test_behind_schedule_as_of_a_day(tasks):
    behind = behind_schedule(tasks, dt.date(2022, 12, 31))
    # E: 334 days past 31 Jan; B: 61 days past 31 Oct; C marked behind, not yet due
    assert behind.select("id", "days_overdue").rows() == [("E", 334), ("B", 61), ("C", 0)]
    assert behind.filter(behind["id"] == "B").get_column("last_note").item() == "second"
    early = behind_schedule(tasks, dt.date(2022, 10, 31))  # due that day: not yet late
    assert early.get_column("id").to_list() == ["E", "C"]


def test_tasks_frame_lists_every_task(tasks):
    frame = tasks_frame(tasks, dt.date(2022, 7, 1))
    assert frame.get_column("id").to_list() == ["A", "B", "C", "D", "E"]
    assert frame.get_column("last_note").to_list() == [None, "first", None, None, None]
    assert frame.get_column("indicators").to_list()[-1] == "chips_listed"


def test_unknown_indicator_and_bad_status_are_refused(tmp_path):
    path = tmp_path / "tasks.toml"
    path.write_text(TASKS.replace('"chips_listed"', '"no_such_target"'), encoding="utf-8")
    with pytest.raises(TasksError, match="task E: unknown indicator 'no_such_target'"):
        load_tasks(path, targets=load_targets())
    path.write_text(TASKS.replace('status = "behind"', 'status = "late"'), encoding="utf-8")
    with pytest.raises(TasksError, match=r"task\.2\.status"):
        load_tasks(path)


def test_shipped_tasks_cover_every_area_and_link_to_targets():
    tasks = load_tasks(targets=load_targets())
    assert {t.area for t in tasks.task} == set(AREAS)
