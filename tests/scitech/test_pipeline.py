"""The qualification pipeline on a hand-made district: validity on 31 December, expiries, high-tech
renewals, next-rung candidates, ladder moves and R&D intensity, each worked by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from factory import build, uscc

from mujun.scitech import pipeline

D = dt.date
SCI, CHIPS = "甬江科创区", "甬江芯谷"


def q(n: int, kind: str, start: dt.date, end: dt.date | None) -> dict:
    return {"uscc": uscc(n), "kind": kind, "level": None, "valid_from": start, "valid_to": end}


@pytest.fixture(scope="module")
def ds():
    firms = [
        {"uscc": uscc(0), "zones": f"{SCI};{CHIPS}"},
        {"uscc": uscc(1), "zones": SCI},
        {"uscc": uscc(2)},
        {"uscc": uscc(3)},
        {"uscc": uscc(4)},
        {"uscc": uscc(5), "zones": SCI},
        {"uscc": uscc(6)},
        {"uscc": uscc(7)},
    ]
    quals = [
        q(0, "high_tech", D(2019, 10, 20), D(2022, 10, 19)),
        q(0, "high_tech", D(2022, 10, 20), D(2025, 10, 19)),  # renewed
        q(1, "tech_sme", D(2019, 3, 1), D(2019, 12, 31)),  # ends on 31 Dec: counts for 2019
        q(1, "tech_sme", D(2020, 3, 1), D(2020, 12, 31)),
        q(1, "high_tech", D(2020, 11, 1), D(2023, 10, 31)),
        q(2, "tech_sme", D(2018, 5, 1), D(2018, 12, 31)),
        q(2, "high_tech", D(2019, 11, 1), D(2022, 10, 31)),  # not renewed
        q(3, "high_tech", D(2020, 1, 15), None),  # no end date: three years → 2023-01-14
        q(3, "srdi", D(2022, 12, 31), D(2025, 12, 30)),  # starts on 31 Dec: counts for 2022
        q(3, "listed", D(2021, 6, 1), None),
        q(4, "tech_sme", D(2017, 4, 1), D(2017, 12, 31)),
        q(4, "high_tech", D(2020, 10, 1), D(2023, 9, 30)),
        q(5, "tech_sme", D(2022, 3, 1), D(2022, 12, 31)),
        q(7, "tech_sme", D(2022, 3, 1), D(2022, 12, 31)),
        q(6, "green_factory", D(2023, 1, 1), None),  # starts after 2022: not counted
    ]
    annual = [
        # holds tech_sme; 4.5 % at 1亿 revenue ≥ the 4 % high-tech tier from 5000万 → candidate
        {"uscc": uscc(5), "revenue": 10000.0, "rd_expense": 450.0},
        # on no rung; 4 % ≥ 3 %, 100 employees, 3000万 → tech_sme candidate (规下: not in R&D sums)
        {"uscc": uscc(6), "scale": "below", "revenue": 3000.0, "rd_expense": 120.0},
        # holds tech_sme; 4 % < the 5 % tier below 5000万 → not a candidate
        {"uscc": uscc(7), "revenue": 3000.0, "rd_expense": 120.0},
    ]
    return build(firms, annual=annual, qualifications=quals)


def _count(frame: pl.DataFrame, year: int, kind: str, **where) -> int:
    cond = (pl.col("year") == year) & (pl.col("kind") == kind)
    for col, value in where.items():
        cond &= pl.col(col) == value
    return frame.filter(cond).get_column("enterprises").item()


def test_counts_are_valid_on_31_december(ds):
    c = pipeline.qualification_counts(ds, [2018, 2019, 2020, 2021, 2022])
    assert [_count(c, y, "high_tech") for y in (2018, 2019, 2020, 2021, 2022)] == [0, 2, 5, 5, 4]
    assert [_count(c, y, "tech_sme") for y in (2018, 2019, 2020, 2021, 2022)] == [1, 1, 1, 0, 2]
    assert _count(c, 2022, "srdi") == 1
    assert _count(c, 2022, "listed") == 1
    assert _count(c, 2022, "green_factory") == 0
    # every year × kind, zeros included
    assert c.height == 5 * len(pipeline.KIND_LABELS)


def test_counts_by_zone_and_division(ds):
    z = pipeline.qualification_counts(ds, [2022], "zone")
    assert _count(z, 2022, "high_tech", zone=SCI) == 2  # firms 0 and 1
    assert _count(z, 2022, "high_tech", zone=CHIPS) == 1  # firm 0 only
    assert _count(z, 2022, "tech_sme", zone=SCI) == 1  # firm 5
    d = pipeline.qualification_counts(ds, [2022], "division_code")
    assert _count(d, 2022, "high_tech", division_code="330211002") == 4
    wide = pipeline.counts_wide(pipeline.qualification_counts(ds, [2021, 2022]))
    assert wide.get_column("high_tech").to_list() == [5, 4]


def test_expiring_this_year(ds):
    e = pipeline.expiring(ds, 2022)
    assert e.select("uscc", "kind", "renewed").rows() == [
        (uscc(0), "high_tech", True),
        (uscc(2), "high_tech", False),
        (uscc(5), "tech_sme", False),
        (uscc(7), "tech_sme", False),
    ]


def test_high_tech_renewals_due(ds):
    r = pipeline.renewals_due(ds, 2022)
    assert r.select("uscc", "renewed").rows() == [(uscc(0), True), (uscc(2), False)]
    r = pipeline.renewals_due(ds, 2023)
    assert r.select("uscc", "valid_to").rows() == [
        (uscc(3), D(2023, 1, 14)),  # derived: three years less a day
        (uscc(4), D(2023, 9, 30)),
        (uscc(1), D(2023, 10, 31)),
    ]


def test_candidates_for_the_next_rung(ds):
    c = pipeline.candidates(ds, 2022)
    assert c.select("uscc", "rung_kind", "next_kind").rows() == [
        (uscc(6), None, "tech_sme"),
        (uscc(5), "tech_sme", "high_tech"),
    ]
    assert c.filter(pl.col("uscc") == uscc(5)).get_column("rd_intensity").item() == 0.045


def test_ladder_moves_and_timing(ds):
    moves = pipeline.ladder_moves(ds)
    assert moves.rows() == [
        (uscc(2), 2019, "tech_sme", "high_tech", 1),
        (uscc(1), 2020, "tech_sme", "high_tech", 1),
        (uscc(4), 2020, "tech_sme", "high_tech", 3),
        (uscc(3), 2022, "high_tech", "srdi", 2),
    ]
    s = pipeline.ladder_summary(moves, [2019, 2020, 2021, 2022])
    assert s.rows() == [
        (2019, "high_tech", 1, 1.0),
        (2020, "high_tech", 2, 2.0),  # median of 1 and 3 years
        (2022, "srdi", 1, 2.0),
    ]


def test_rd_intensity_district_and_zone(ds):
    d = pipeline.rd_intensity(ds, [2022])
    # 规上 only: firms 5 and 7, (450 + 120) ÷ (10000 + 3000)
    assert d.get_column("rd_intensity").item() == pytest.approx(570 / 13000, rel=1e-12)
    z = pipeline.rd_intensity(ds, [2022], "zone")
    assert z.select("zone", "rd_intensity").rows() == [(SCI, 0.045)]
    everyone = pipeline.rd_intensity(ds, [2022], scale=None)
    assert everyone.get_column("rd_intensity").item() == pytest.approx(690 / 16000, rel=1e-12)


def test_rd_test_and_grades_from_evaluated_frames(ds):
    frame = pl.DataFrame(
        {
            "uscc": [uscc(5), uscc(6), uscc(7)],
            "year": [2022, 2022, 2022],
            "rd_test": ["pass", None, "fail"],
            "grade": ["A", "B", "A"],
        }
    )
    t = pipeline.rd_test_results(frame)
    assert t.rows() == [(2022, 1, 1, 0.5)]
    g = pipeline.rd_by_grade(ds, frame)
    assert g.select("grade", "firms").rows() == [("A", 2), ("B", 1)]
    assert g.get_column("rd_intensity")[0] == pytest.approx(570 / 13000, rel=1e-12)


def test_shipped_ladder_is_valid():
    ladder = pipeline.load_ladder()
    assert ladder.kinds == ["tech_sme", "high_tech", "srdi", "little_giant", "champion"]
    assert all(r.source for r in ladder.rung)
