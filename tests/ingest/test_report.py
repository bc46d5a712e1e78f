"""The ingest report's data queries: a firm-year missing an indicator's denominator is listed with
the bureau to ask, before the evaluation makes the firm `no_data` (issue 13 item 5)."""

from __future__ import annotations

from factory import build, uscc
from python_calamine import CalamineWorkbook

from mujun.ingest import IngestResult
from mujun.ingest.report import data_queries, write_report


def _district():
    return build(
        [{"uscc": uscc(1), "name": "甲公司"}, {"uscc": uscc(2), "name": "乙公司"}],
        annual=[
            {"uscc": uscc(1), "year": 2022, "energy_tce": 0.0, "employees": None},
            {"uscc": uscc(2), "year": 2022},
        ],
    )


def test_missing_and_zero_denominators_are_queries_to_their_bureau(tmp_path):
    queries = data_queries(_district())
    assert queries.select("uscc", "year", "item", "value", "ask").rows() == [
        (uscc(1), 2022, "从业人员", "空", "统计局 / 人社局"),
        (uscc(1), 2022, "综合能耗", "0", "统计局（能源）"),
    ]
    write_report(IngestResult(dataset=_district(), problems=[], sheets=[]), tmp_path / "r.xlsx")
    book = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx"))
    rows = book.get_sheet_by_name("待核实数据 data queries").to_python()
    assert rows[0] == ["统一社会信用代码", "企业名称", "年度", "数据项", "现值", "请核实单位"]
    assert [r[:4] for r in rows[1:]] == [
        [uscc(1), "甲公司", 2022.0, "从业人员"],
        [uscc(1), "甲公司", 2022.0, "综合能耗"],
    ]
    summary = book.get_sheet_by_name("概要 summary").to_python()
    assert ["待核实数据 data queries", 2.0] in [r[:2] for r in summary]
