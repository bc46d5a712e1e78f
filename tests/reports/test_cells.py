"""Formula-like text is escaped in every CSV and workbook cell written for people."""

from __future__ import annotations

import polars as pl
import pytest

from mujun.reports.cells import escape_cell, escape_text

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-1+1", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["宁波某某公司", "a=b", "", -1.5, 3, None, True])
def test_other_values_stay_as_they_are(value):
    assert escape_cell(value) == value


def test_a_frame_escapes_its_text_columns_like_a_cell():
    frame = pl.DataFrame(
        {"name": [*HOSTILE, "ok", None], "tax": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, None]}
    )
    escaped = escape_text(frame)
    assert escaped.get_column("name").to_list() == [escape_cell(v) for v in frame["name"]]
    assert escaped.get_column("tax").to_list() == frame.get_column("tax").to_list()
    assert escaped.schema == frame.schema
