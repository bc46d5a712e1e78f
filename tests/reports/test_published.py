"""The published list workbook: sheets, Chinese headers, frozen header row, number formats, cover."""

from __future__ import annotations

import re
import zipfile

from hand_district import PRESET, L, N, V, district
from python_calamine import CalamineWorkbook

from mujun.engine import evaluate
from mujun.methodologies import load_methodology
from mujun.reports import write_published


def test_published_workbook(tmp_path):
    ev = evaluate(district(), 2022, load_methodology(PRESET))
    path = tmp_path / "r.xlsx"
    write_published(ev, path)
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["封面", "规上", "规下≥3亩", "规下<3亩", "租赁企业", "宗地"]
    cover = {r[0]: r[1] for r in book.get_sheet_by_name("封面").to_python() if r and r[0]}
    assert cover["办法哈希 (methodology SHA-256)"] == ev.methodology_hash
    assert cover["数据哈希 (input SHA-256)"] == ev.input_hash
    assert cover["评价年度"] == "2022"
    illustrative = len(ev.methodology.illustrative(evaluation=True))
    assert illustrative > 0 and cover["无出处的示意数值 (illustrative values)"] == str(illustrative)
    above = book.get_sheet_by_name("规上").to_python()
    header = above[0]
    assert header[:6] == ["统一社会信用代码", "企业名称", "年度", "规模", "名单", "镇街代码"]
    assert "镇（街道）" in header and "行业" in header and "单位排放增加值（万元/吨）" in header
    # the 规上 sheet shows the six above-scale indicators, not the 规下 ones
    assert "单位用电税收（万元/万千瓦时）" not in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in above[1:]}
    assert set(rows) == {L, V, N, *[u for u in rows if u not in (L, V, N)]} and len(rows) == 5
    assert (
        rows[L]["等级"] == "A"
        and rows[L]["状态"] == "已评价"
        and rows[L]["镇（街道）"] == "蛟川街道"
    )
    assert rows[V]["状态"] == "一票否决" and rows[N]["状态"] == "免评"
    assert rows[L]["行业"] == "滚动轴承制造"
    assert len(book.get_sheet_by_name("租赁企业").to_python()) == 3
    assert len(book.get_sheet_by_name("规下<3亩").to_python()) == 1  # the header alone
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert re.search(r'<pane [^>]*ySplit="1"[^>]*state="frozen"', sheet)
    assert 'formatCode="#,##0.00"' in styles and 'formatCode="0.0%"' in styles


def test_a_list_published_without_ranks(tmp_path):
    """排名不分先后 (海曙 2025): the preset publishes grades without each firm's rank."""
    m = load_methodology("zhenhai")
    unranked = m.model_copy(
        update={"publication": m.publication.model_copy(update={"ranked": False})}
    )
    for methodology, name in ((m, "ranked.xlsx"), (unranked, "unranked.xlsx")):
        write_published(evaluate(district(), 2022, methodology), tmp_path / name)
    ranked = CalamineWorkbook.from_path(str(tmp_path / "ranked.xlsx"))
    plain = CalamineWorkbook.from_path(str(tmp_path / "unranked.xlsx"))
    assert "排名" in ranked.get_sheet_by_name("规上").to_python()[0]
    rows = plain.get_sheet_by_name("规上").to_python()
    assert "排名" not in rows[0]
    grades = [r[rows[0].index("等级")] for r in rows[1:]]
    assert grades == sorted(grades, key=lambda g: g or "Z")  # by grade, not by score
