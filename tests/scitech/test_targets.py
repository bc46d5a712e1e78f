"""Targets: progress on the straight path worked by hand, measured on a hand-made district."""

from __future__ import annotations

import datetime as dt

import pytest
from factory import build, uscc

from mujun.scitech.targets import (
    TargetsError,
    load_targets,
    path_progress,
    progress,
    progress_frame,
)

D = dt.date
CHIPS = "甬江芯谷"
HEAD = '[report]\ndistrict = "镇海区"\nzone = "甬江芯谷"\ntitle = "测试报告"\n'


def test_straight_path_arithmetic():
    # baseline 20 (2020) → 100 (2025); in 2022 two fifths of the way are due: 20 + 0.4 × 80 = 52
    assert path_progress(52, 20, 100, 2022, 2020, 2025) == (0.4, 0.4, True)
    prog, expected, ok = path_progress(51, 20, 100, 2022, 2020, 2025)
    assert (prog, expected, ok) == (pytest.approx(31 / 80), 0.4, False)
    assert path_progress(100, 20, 100, 2021, 2020, 2025)[2] is True
    # past the deadline the whole way is due
    assert path_progress(90, 20, 100, 2026, 2020, 2025)[1:] == (1.0, False)
    # a target equal to its baseline is met or not
    assert path_progress(5, 5, 5, 2022, 2020, 2025)[0] == 1.0


@pytest.fixture(scope="module")
def ds():
    firms = [{"uscc": uscc(i), "zones": CHIPS} for i in range(3)] + [{"uscc": uscc(3)}]
    quals = [
        {"uscc": uscc(0), "kind": "high_tech", "valid_from": D(2019, 11, 1), "valid_to": None},
        {"uscc": uscc(1), "kind": "high_tech", "valid_from": D(2021, 11, 1), "valid_to": None},
        {"uscc": uscc(2), "kind": "high_tech", "valid_from": D(2022, 11, 1), "valid_to": None},
        {"uscc": uscc(3), "kind": "high_tech", "valid_from": D(2020, 11, 1), "valid_to": None},
    ]
    output = {2020: 8000.0, 2021: 10000.0, 2022: 12500.0}
    annual = [
        {"uscc": uscc(i), "year": y, "output": v} for i in range(4) for y, v in output.items()
    ]
    talents = [
        {"uscc": uscc(0), "year": 2020, "level": "E", "count": 2},
        {"uscc": uscc(0), "year": 2022, "level": "E", "count": 5},
        {"uscc": uscc(1), "year": 2022, "level": "C", "count": 3},
        {"uscc": uscc(3), "year": 2022, "level": "E", "count": 40},  # outside the zone
    ]
    return build(firms, annual=annual, qualifications=quals, talents=talents)


def write(tmp_path, body: str):
    path = tmp_path / "targets.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


TARGETS = """
[[target]]
id = "chips_high_tech"
title = "芯谷高企"
zone = "甬江芯谷"
metric = "qualified"
kinds = ["high_tech"]
value = 11
deadline = 2025
baseline = { year = 2020 }
source = "test"

[[target]]
id = "high_tech_added"
title = "高企年净增"
metric = "qualified"
kinds = ["high_tech"]
yearly_increase = 1
source = "test"

[[target]]
id = "output_growth"
title = "产值增长"
metric = "output"
scale = "above"
yearly_growth = 0.25
source = "test"

[[target]]
id = "chips_talents"
title = "芯谷人才"
zone = "甬江芯谷"
metric = "talents"
value = 32
deadline = 2025
baseline = { year = 2020 }
source = "test"

[[target]]
id = "given_baseline"
title = "基期给定"
zone = "甬江芯谷"
metric = "qualified"
kinds = ["high_tech"]
value = 10
deadline = 2024
baseline = { year = 2019, value = 0 }
source = "test"
"""


def test_progress_measured_on_the_data(ds, tmp_path):
    items = {p.id: p for p in progress(ds, load_targets(write(tmp_path, TARGETS)), 2022)}
    chips = items["chips_high_tech"]
    # zone counts 1 (2020), 2 (2021), 3 (2022): (3 − 1) ÷ (11 − 1) = 0.2 against 2 ÷ 5 due
    assert (chips.baseline, chips.current, chips.target) == (1.0, 3.0, 11.0)
    assert (chips.progress, chips.expected, chips.on_track) == (0.2, 0.4, False)
    assert chips.trend == ((2020, 1.0), (2021, 2.0), (2022, 3.0))
    added = items["high_tech_added"]  # district: 3 in 2021, 4 in 2022; +1 wanted
    assert (added.baseline_year, added.baseline, added.target, added.current) == (2021, 3, 4, 4)
    assert (added.progress, added.expected, added.on_track) == (1.0, 1.0, True)
    growth = items["output_growth"]  # 40000 → 50000 万元 is +25 %
    assert (growth.baseline, growth.target, growth.current, growth.on_track) == (
        40000.0,
        50000.0,
        50000.0,
        True,
    )
    talents = items["chips_talents"]  # 2 → 8 of 32: 6 ÷ 30
    assert (talents.baseline, talents.current, talents.progress) == (2.0, 8.0, 0.2)
    given = items["given_baseline"]  # baseline 0 in 2019 (not in the data), 3 of 10, 3 of 5 years
    assert (given.progress, given.expected, given.on_track) == (pytest.approx(0.3), 0.6, False)
    frame = progress_frame(list(items.values()))
    assert frame.height == 5
    assert frame.get_column("on_track").to_list() == [False, True, True, False, False]


def test_a_baseline_outside_the_data_needs_its_value(ds, tmp_path):
    body = TARGETS.replace("baseline = { year = 2020 }", "baseline = { year = 2015 }", 1)
    with pytest.raises(TargetsError, match="chips_high_tech: no data for its baseline year 2015"):
        progress(ds, load_targets(write(tmp_path, body)), 2022)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('kinds = ["high_tech"]\nvalue = 11', "unknown qualification kind"),
        ("deadline = 2025", "value, deadline and baseline"),
        ("yearly_increase = 1", "either value"),
    ],
)
def test_invalid_targets_are_refused(tmp_path, change, message):
    broken = {
        "unknown qualification kind": TARGETS.replace(
            'kinds = ["high_tech"]\nvalue = 11', 'kinds = ["rocket"]\nvalue = 11', 1
        ),
        "value, deadline and baseline": TARGETS.replace("deadline = 2025\n", "", 1),
        "either value": TARGETS.replace("yearly_increase = 1", "yearly_increase = 1\nvalue = 3", 1),
    }[message]
    with pytest.raises(TargetsError, match=message):
        load_targets(write(tmp_path, broken))


def test_shipped_targets_load():
    targets = load_targets()
    assert targets.report.zone == "甬江科创区"
    chips = targets.get("chips_scitech_enterprises")
    assert (chips.zone, chips.value, chips.deadline) == ("甬江芯谷", 1000, 2025)
    assert all(t.source for t in targets.target)
