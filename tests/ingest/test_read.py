"""mujun.ingest.read: files as they come, and hostile files, into rows of raw cells.

Every file is built here (xlsxwriter, csv, zipfile, bytes); nothing binary is committed.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import random
import struct
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hostile import hand_written_xlsx, hostile_canonical_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mujun.ingest.read as read_module
from mujun.ingest.read import Limits, ReadError, Sheet, read_file

HEADER = ["统一社会信用代码", "纳税人名称", "所属年度", "实缴税金（万元）"]
DATA = [
    ["91330100MA2XXXXX1A", "杭州某某制造有限公司", "2023", "123.45"],
    ["91330100MA2XXXXX2B", "宁波某某科技股份有限公司", "2023", "0"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def xlsx_bytes(build) -> bytes:
    """An .xlsx made in memory; build(workbook) adds the sheets."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    build(workbook)
    workbook.close()
    return buffer.getvalue()


def small_workbook(workbook) -> None:
    sheet = workbook.add_worksheet("税务")
    sheet.write(0, 0, "2023年度纳税情况")
    sheet.write_row(2, 0, HEADER)
    for i, row in enumerate(DATA):
        sheet.write_row(3 + i, 0, [row[0], row[1], int(row[2]), float(row[3])])


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def error(path: Path, limits: Limits = Limits()) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_file(path, limits)
    exc = info.value
    assert exc.file == str(path)
    assert str(exc).startswith(str(path))
    assert "\n" not in str(exc)
    return exc


# --- CSV as it comes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("gb2312", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_csv_encodings_round_trip(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "税务.csv", [HEADER, *DATA], encoding)
    [sheet] = read_file(path)
    assert sheet == Sheet(str(path), "", [HEADER, *DATA], detected)


def test_csv_gb18030_only_characters(tmp_path):
    rows = [["名称", "备注"], ["𠀀企业", "€ 欧元"]]  # beyond GBK: needs GB18030's four-byte forms
    [sheet] = read_file(write_csv(tmp_path / "a.csv", rows, "gb18030"))
    assert sheet.rows == rows
    assert sheet.encoding == "gb18030"


def test_csv_tab_delimited(tmp_path):
    rows = [["2023年度纳税情况"], [], HEADER, *DATA, ["合计", "", "", "123.45"]]
    path = write_csv(tmp_path / "a.txt", rows, "utf-8", delimiter="\t")
    [sheet] = read_file(path)
    assert sheet.rows == [
        ["2023年度纳税情况"],
        [],
        HEADER,
        *DATA,
        ["合计", None, None, "123.45"],
    ]


def test_csv_with_a_comma_in_a_tab_file_is_still_tab(tmp_path):
    rows = [HEADER, ["9133", "某某公司, 分公司", "2023", "1,234.5"], ["9134", "乙", "2023", "1"]]
    [sheet] = read_file(write_csv(tmp_path / "a.tsv", rows, "utf-8", delimiter="\t"))
    assert sheet.rows == rows


def test_csv_quoted_fields_with_commas_and_newlines(tmp_path):
    rows = [
        ["名称", "实缴税金\n（万元）", "地址"],
        ["某某, 有限公司", "1", '浙江省"杭州市"'],
        ["乙公司", "2", "第一行\r\n第二行"],
        ["丙公司", "3", "x"],
    ]
    path = write_csv(tmp_path / "a.csv", rows, "utf-8")
    [sheet] = read_file(path)
    # one row per record (the numbering Excel and WPS show), however many lines it spans
    assert sheet.rows == rows
    assert sheet.rows[3] == ["丙公司", "3", "x"]


def test_csv_empty_rows_are_kept(tmp_path):
    text = "标题,,,\n\n,,,\n名称,税金\n甲,1\n\n乙,2\n"
    [sheet] = read_file(write_bytes(tmp_path / "a.csv", text.encode()))
    assert sheet.rows == [["标题"], [], [], ["名称", "税金"], ["甲", "1"], [], ["乙", "2"]]
    assert sheet.rows[6][0] == "乙"  # the file's row 7


def test_csv_crlf_and_old_mac_line_ends(tmp_path):
    for i, ending in enumerate(["\r\n", "\r"]):
        text = ending.join(["a,b", "1,2", "", "3,4"]) + ending
        [sheet] = read_file(write_bytes(tmp_path / f"{i}.csv", text.encode()))
        assert sheet.rows == [["a", "b"], ["1", "2"], [], ["3", "4"]]


def test_csv_control_characters_and_formulas_are_kept(tmp_path):
    rows = [["名称", "备注"], ["甲\x01公司", "=cmd|' /C calc'!A0"], ["乙\x7f", "a\x1bb\x0cc"]]
    [sheet] = read_file(write_csv(tmp_path / "a.csv", rows, "utf-8"))
    assert sheet.rows == rows


def test_csv_progress(tmp_path):
    rows = [["n", "v"], *([str(i), "x"] for i in range(25_000))]
    calls = []
    [sheet] = read_file(
        write_csv(tmp_path / "a.csv", rows, "utf-8"), progress=lambda d, t: calls.append((d, t))
    )
    assert len(sheet.rows) == 25_001
    assert calls == [(10_000, 0), (20_000, 0), (25_001, 25_001)]


def test_csv_many_empty_lines_before_the_table(tmp_path):
    text = "\r\n" * 100_000 + "名称\t税金\r\n甲\t1\r\n"
    started = time.monotonic()
    [sheet] = read_file(write_bytes(tmp_path / "a.csv", text.encode()))
    assert time.monotonic() - started < 2
    assert len(sheet.rows) == 100_002
    assert sheet.rows[100_000:] == [["名称", "税金"], ["甲", "1"]]


def test_csv_of_only_empty_lines_has_no_table(tmp_path):
    assert read_file(write_bytes(tmp_path / "a.csv", b"\n\n,,\n")) == []


# --- workbooks as they come -------------------------------------------------------------------------


def test_xlsx_title_rows_header_and_totals(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet("税务")
        sheet.write(0, 0, "2023年度重点企业纳税情况")
        sheet.write(1, 0, "单位：万元")
        sheet.write_row(3, 0, HEADER)
        sheet.write_row(4, 0, ["9133", "甲", 2023, 1.5])
        sheet.write_row(5, 0, ["合计", None, None, 1.5])

    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert sheet.name == "税务"
    assert sheet.rows == [
        ["2023年度重点企业纳税情况"],
        ["单位：万元"],
        [],
        HEADER,
        ["9133", "甲", 2023.0, 1.5],
        ["合计", None, None, 1.5],
    ]


def test_xlsx_several_sheets_hidden_included_in_order_empty_skipped(tmp_path):
    def build(workbook):
        workbook.add_worksheet("统计").write(0, 0, "a")
        hidden = workbook.add_worksheet("隐藏")
        hidden.write(0, 0, "b")
        hidden.hide()
        workbook.add_worksheet("空")
        workbook.add_worksheet("税务").write(2, 1, "c")
        workbook.add_chartsheet("图")  # no cells: skipped
        very = workbook.add_worksheet("很隐藏")
        very.write(0, 0, "d")
        very.very_hidden()

    sheets = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert [(s.name, s.rows) for s in sheets] == [
        ("统计", [["a"]]),
        ("隐藏", [["b"]]),
        ("税务", [[], [], [None, "c"]]),
        ("很隐藏", [["d"]]),
    ]
    assert all(s.file == str(tmp_path / "a.xlsx") and s.encoding == "" for s in sheets)


def test_xlsx_leading_empty_rows_and_columns_keep_their_places(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet()
        sheet.write(4, 3, "D5")
        sheet.write(6, 2, "C7")

    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert sheet.rows == [[], [], [], [], [None, None, None, "D5"], [], [None, None, "C7"]]


def test_xlsx_merged_header_cells(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet()
        sheet.merge_range(0, 0, 0, 3, "2023年度纳税情况")
        sheet.merge_range(1, 0, 2, 0, "纳税人名称")
        sheet.merge_range(1, 1, 1, 2, "税收（万元）")
        sheet.write_row(2, 1, ["实缴税金", "留抵退税"])
        sheet.write_row(3, 0, ["甲", 1, 2])

    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert sheet.rows == [
        ["2023年度纳税情况"],
        ["纳税人名称", "税收（万元）"],
        [None, "实缴税金", "留抵退税"],
        ["甲", 1.0, 2.0],
    ]


def test_xlsx_dates_and_odd_types(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet()
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        clock = workbook.add_format({"num_format": "hh:mm:ss"})
        duration = workbook.add_format({"num_format": "[h]:mm:ss"})
        sheet.write_datetime(0, 0, datetime.date(2023, 12, 31), day)
        sheet.write_datetime(0, 1, datetime.datetime(2024, 1, 2, 3, 4, 5), moment)
        sheet.write_datetime(0, 2, datetime.time(8, 30), clock)
        sheet.write_number(0, 3, 1.5208333333333333, duration)
        sheet.write_boolean(0, 4, True)
        sheet.write_string(0, 5, "2023-01-01")

    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert sheet.rows == [
        [
            datetime.date(2023, 12, 31),
            datetime.datetime(2024, 1, 2, 3, 4, 5),
            "08:30:00",
            "36:30:00",
            True,
            "2023-01-01",
        ]
    ]


def test_xlsx_formulas(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, [1, 2])
        sheet.write_formula(0, 2, "=A1+B1", None, 3)
        sheet.write_formula(0, 3, '="甲"&"乙"', None, "甲乙")
        sheet.write_formula(0, 4, "=A1*10")  # xlsxwriter caches 0 unless told
        sheet.write_formula(0, 5, "=1/0", None, "#DIV/0!")
        sheet.write(0, 6, "end")

    data = xlsx_bytes(build)
    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", data))
    # cached values; an error cell comes back as None (calamine gives no error value)
    assert sheet.rows == [[1.0, 2.0, 3.0, "甲乙", 0.0, None, "end"]]

    # a formula saved without any cached value (<c><f>…</f></c>, no <v>) reads as None
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    start = xml.index(b'<c r="E1"')
    end = xml.index(b"</c>", start) + 4
    bare = xml[:start] + b'<c r="E1"><f>A1*10</f></c>' + xml[end:]
    [sheet] = read_file(write_bytes(tmp_path / "b.xlsx", replace_member(data, bare)))
    assert sheet.rows == [[1.0, 2.0, 3.0, "甲乙", None, None, "end"]]


def replace_member(
    data: bytes, sheet_xml: bytes, member: str = "xl/worksheets/sheet1.xml"
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = sheet_xml if info.filename == member else source.read(info.filename)
            target.writestr(info.filename, content)
    return out.getvalue()


def test_xlsx_control_characters_are_kept(tmp_path):
    def build(workbook):
        workbook.add_worksheet().write_row(0, 0, ["甲\x01公司", "a\x1fb", "tab\there"])

    [sheet] = read_file(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert sheet.rows == [["甲\x01公司", "a\x1fb", "tab\there"]]


def test_xlsm_is_read(tmp_path):
    [sheet] = read_file(write_bytes(tmp_path / "a.xlsm", xlsx_bytes(small_workbook)))
    assert sheet.rows[2] == HEADER


def test_xlsx_progress(tmp_path):
    def build(workbook):
        first = workbook.add_worksheet()
        for i in range(15_000):
            first.write(i, 0, i)
        workbook.add_worksheet().write(0, 0, "x")

    calls = []
    sheets = read_file(
        write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert [len(s.rows) for s in sheets] == [15_000, 1]
    assert calls == [(10_000, 15_000), (15_001, 15_001)]


def test_workbooks_in_process_give_the_same(tmp_path, monkeypatch):
    """Without fork() (Windows) calamine runs in-process: same rows, same errors."""
    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(small_workbook))
    forked = read_file(path)
    monkeypatch.setattr(read_module, "SANDBOX", False)
    assert read_file(path) == forked
    data = path.read_bytes()
    assert "damaged" in error(write_bytes(tmp_path / "b.xlsx", corrupt_deflate(data))).reason


def corrupt_deflate(data: bytes) -> bytes:
    """Garbles the compressed bytes of the first worksheet, central directory intact."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    garbled = bytes(b ^ 0x5A for b in data[start : start + info.compress_size])
    return data[:start] + garbled + data[start + info.compress_size :]


# --- hostile files ---------------------------------------------------------------------------------


def test_zip_bomb_disguised_as_xlsx(tmp_path):
    real = xlsx_bytes(small_workbook)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in zipfile.ZipFile(io.BytesIO(real)).infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info.filename, zipfile.ZipFile(io.BytesIO(real)).read(info))
        bomb.writestr("xl/worksheets/sheet1.xml", bytes(50 * 2**20))  # 50 MB of zeros
    path = write_bytes(tmp_path / "税务.xlsx", out.getvalue())
    assert path.stat().st_size < 200_000
    started = time.monotonic()
    exc = error(path)
    assert time.monotonic() - started < 1
    assert "zip bomb" in exc.reason
    assert "xl/worksheets/sheet1.xml" in exc.reason


def test_xlsx_over_the_uncompressed_limit(tmp_path):
    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(small_workbook))
    exc = error(path, Limits(max_uncompressed=10_000))
    assert "zip bomb" in exc.reason
    assert "over the limit of 9.8 KB" in exc.reason


def far_apart(workbook) -> None:
    sheet = workbook.add_worksheet("税务")
    sheet.write(0, 0, "a")
    sheet.write(1_048_575, 16_383, "b")


def test_xlsx_cells_far_apart_need_too_much_memory(tmp_path):
    """calamine makes a dense rectangle: A1 + XFD1048576 would ask for 500 GB and abort the
    process. Within limits that let the sheet's size pass, the forked child dies instead, and that
    is a ReadError."""
    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(far_apart))
    assert path.stat().st_size < 10_000
    exc = error(path, Limits(max_columns=16_384))
    assert exc.sheet == "税务"
    assert "more memory than allowed" in exc.reason


def test_xlsx_cells_far_apart_are_refused_by_the_sheet_size(tmp_path):
    exc = error(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(far_apart)))
    assert exc.sheet == "税务"
    assert exc.reason == (
        "the sheet declares its size as A1:XFD1048576, 16,384 columns wide (to column XFD), "
        "over the limit of 1,000"
    )


@pytest.mark.parametrize(
    ("sheet_xml", "reason"),
    [
        (
            '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
            '<c r="XFD1048576"><v>1</v></c></row></sheetData>',
            "the sheet is 16,384 columns wide (to column XFD), over the limit of 1,000: it has a "
            "cell or row at XFD1048576",
        ),
        (
            '<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
            '<row r="3000000"><c t="n"><v>1</v></c></row></sheetData>',
            "the sheet has 3,000,000 rows, over the limit of 2,000,000: it has a cell or row at "
            "3000000",
        ),
        (
            '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c>'
            "</row></sheetData>",
            "the sheet declares its size as A1:XFD1048576, 16,384 columns wide (to column XFD), "
            "over the limit of 1,000",
        ),
    ],
)
def test_xlsx_sheet_size_is_checked_before_the_cells_are_read(tmp_path, sheet_xml, reason):
    """A hand-written 1 KB workbook naming a cell at XFD1048576 (or claiming that size) is refused
    by the sheet's name, before calamine builds its cells."""
    path = write_bytes(tmp_path / "a.xlsx", hand_written_xlsx(sheet_xml))
    assert path.stat().st_size < 2048
    exc = error(path)
    assert (exc.sheet, exc.reason) == ("税务", reason)


def test_only_the_sheets_asked_for_are_read(tmp_path):
    """A hostile sheet that is not asked for is not parsed at all."""

    def build(workbook):
        small_workbook(workbook)
        far_apart_sheet = workbook.add_worksheet("其他")
        far_apart_sheet.write(1_048_575, 16_383, "b")

    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build))
    [sheet] = read_file(path, sheets={"税务"})
    assert sheet.name == "税务"
    assert error(path).sheet == "其他"


def test_sheet_names_without_reading_the_cells(tmp_path):
    path = write_bytes(tmp_path / "a.xlsx", hostile_canonical_workbook())
    assert read_module.sheet_names(path) == ["enterprises", "annual", "parcels"]
    with pytest.raises(ReadError) as info:
        read_module.sheet_names(write_bytes(tmp_path / "b.xlsx", b"PK\x03\x04 not a zip"))
    assert "not an .xlsx workbook" in str(info.value)
    with pytest.raises(ReadError) as info:
        read_module.sheet_names(write_bytes(tmp_path / "c.csv", b"a,b\n"))
    assert "not a workbook" in str(info.value)


def test_xlsx_too_wide_and_too_long(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet("宽")
        sheet.write(0, 0, "a")
        sheet.write(2, 1500, "b")

    exc = error(write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build)))
    assert exc.sheet == "宽"
    assert "1,501 columns wide (to column BES)" in exc.reason
    exc = error(write_bytes(tmp_path / "b.xlsx", xlsx_bytes(small_workbook)), Limits(max_rows=4))
    assert "5 rows, over the limit of 4" in exc.reason


def test_xlsx_cell_over_the_character_limit(tmp_path):
    def build(workbook):
        sheet = workbook.add_worksheet()
        sheet.write(0, 0, "短")
        sheet.write(1, 0, "长" * 150)

    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build))
    assert read_file(path, Limits(max_cell_chars=150))[0].rows[1] == ["长" * 150]
    exc = error(path, Limits(max_cell_chars=149))
    assert exc.reason == "cell A2 has 150 characters, over the limit of 149"


def test_xlsx_long_cells_found_among_many(tmp_path):
    """Long strings are spotted in the pickled chunks (BINUNICODE lengths), then confirmed cell by
    cell: 150 Chinese characters are 450 bytes, under a 300-character limit all the same."""

    def build(workbook):
        sheet = workbook.add_worksheet("税务")
        for i in range(12_000):
            sheet.write_row(i, 0, [f"91330X{i:012d}", "某某公司", i * 1.5])
        sheet.write(11_000, 3, "长" * 150)

    path = write_bytes(tmp_path / "a.xlsx", xlsx_bytes(build))
    [sheet] = read_file(path, Limits(max_cell_chars=300))
    assert sheet.rows[11_000][3] == "长" * 150
    exc = error(path, Limits(max_cell_chars=149))
    assert exc.reason == "cell D11001 has 150 characters, over the limit of 149"
    assert exc.sheet == "税务"
    longer = write_bytes(tmp_path / "b.xlsx", xlsx_bytes(lambda wb: build_long(wb, 301)))
    exc = error(longer, Limits(max_cell_chars=300))
    assert exc.reason == "cell B3 has 301 characters, over the limit of 300"


def build_long(workbook, length: int) -> None:
    sheet = workbook.add_worksheet()
    sheet.write_column(0, 0, ["91330X", "91331X", "91332X"])
    sheet.write(2, 1, "长" * length)


def test_workbook_deadline(tmp_path, monkeypatch):
    monkeypatch.setattr(read_module, "CHILD_SECONDS_BASE", 0.0)
    exc = error(write_bytes(tmp_path / "a.xlsx", SMALL_XLSX))
    assert "took longer than" in exc.reason


def test_truncated_xlsx(tmp_path):
    data = xlsx_bytes(small_workbook)
    exc = error(write_bytes(tmp_path / "a.xlsx", data[: len(data) // 2]))
    assert "truncated or damaged" in exc.reason


def test_corrupt_xlsx_member(tmp_path):
    exc = error(write_bytes(tmp_path / "a.xlsx", corrupt_deflate(xlsx_bytes(small_workbook))))
    assert "damaged" in exc.reason


@pytest.mark.parametrize("name", ["a.xlsx", "a.xls", "a.csv", "a.txt"])
def test_random_bytes(tmp_path, name):
    data = random.Random(name).randbytes(20_000)
    exc = error(write_bytes(tmp_path / name, data))
    assert exc.reason


def test_ole2_garbage_named_xls(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(1).randbytes(4000)
    exc = error(write_bytes(tmp_path / "a.xls", data))
    assert "damaged or not a real workbook" in exc.reason


def test_html_named_xls(tmp_path):
    page = (
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="gbk">'
        "</head><body><table><tr><td>纳税人名称</td><td>实缴税金</td></tr></table></body></html>"
    ).encode("gbk")
    exc = error(write_bytes(tmp_path / "导出.xls", page))
    assert "HTML page" in exc.reason
    assert "save it as .xlsx" in exc.reason


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("a.xls", "纳税人名称\t实缴税金\n甲\t1\n".encode("gbk"), "text file"),
        (
            "a.xls",
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "Excel 2003 XML",
        ),
        ("a.xls", b"MIME-Version: 1.0\r\nContent-Type: multipart/related", ".mht"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old-format .xls"),
        (
            "a.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "password-protected",
        ),
        ("a.xlsx", b"%PDF-1.4 ...", "PDF"),
        ("a.pdf", b"%PDF-1.4 ...", "unsupported file type '.pdf'"),
        ("a", b"x,y\n", "unsupported file type '(no extension)'"),
    ],
)
def test_content_that_does_not_match_the_extension(tmp_path, name, content, words):
    assert words in error(write_bytes(tmp_path / name, content)).reason


def test_workbooks_with_the_wrong_extension(tmp_path):
    data = xlsx_bytes(small_workbook)
    assert "rename it to .xlsx" in error(write_bytes(tmp_path / "a.xls", data)).reason
    assert "rename it to .xlsx" in error(write_bytes(tmp_path / "a.csv", data)).reason
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert "rename it to .xls" in error(write_bytes(tmp_path / "b.csv", ole2)).reason


def test_zip_that_is_not_a_workbook(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert (
        "without xl/workbook.xml" in error(write_bytes(tmp_path / "a.xlsx", out.getvalue())).reason
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "Word document" in error(write_bytes(tmp_path / "b.xlsx", out.getvalue())).reason


@pytest.mark.parametrize("name", ["a.xlsx", "a.xls", "a.csv"])
def test_empty_file(tmp_path, name):
    assert error(write_bytes(tmp_path / name, b"")).reason == "the file is empty (0 bytes)"


def test_missing_file_and_folder(tmp_path):
    assert error(tmp_path / "missing.csv").reason == "no such file"
    (tmp_path / "d.csv").mkdir()
    assert "folder" in error(tmp_path / "d.csv").reason


def test_one_gigabyte_csv_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "税务.csv"
    with open(path, "wb") as f:
        f.truncate(2**30 + 1)  # sparse: no disk used
    started = time.monotonic()
    exc = error(path)
    assert time.monotonic() - started < 0.5
    assert exc.reason == "the file is 1.0 GB, over the limit of 512.0 MB"


def test_csv_row_of_100000_columns(tmp_path):
    text = "名称,税金\n甲,1\n" + ",".join(["1"] * 100_000) + "\n"
    exc = error(write_bytes(tmp_path / "a.csv", text.encode()))
    assert exc.reason == "row 3 has 100,000 columns, over the limit of 1,000"


def test_csv_cell_over_the_character_limit(tmp_path):
    ok = "名称,备注\n甲," + "长" * 32_767 + "\n"
    assert read_file(write_bytes(tmp_path / "a.csv", ok.encode()))[0].rows[1][1] == "长" * 32_767
    bad = "名称,备注\n甲," + "长" * 32_768 + "\n"
    exc = error(write_bytes(tmp_path / "b.csv", bad.encode()))
    assert exc.reason.startswith("row 2: a cell is longer than 32,767 characters")
    never_closed = '名称,备注\n甲,"' + "x," * 40_000 + "\n"
    assert (
        "quote is never closed"
        in error(write_bytes(tmp_path / "c.csv", never_closed.encode())).reason
    )


def test_csv_too_many_rows(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"a\n" * 11)
    assert "more than 10 rows" in error(path, Limits(max_rows=10)).reason
    assert len(read_file(path, Limits(max_rows=11))[0].rows) == 11


def test_csv_with_nul_bytes(tmp_path):
    exc = error(write_bytes(tmp_path / "a.csv", "名称,税金\n甲,1\n乙\x00,2\n".encode()))
    assert exc.reason == "line 3 contains a NUL byte: binary content, not a text CSV"


def test_csv_mostly_binary(tmp_path):
    data = bytes(random.Random(2).randrange(1, 32) for _ in range(5000))
    assert "binary content" in error(write_bytes(tmp_path / "a.csv", data)).reason


def test_csv_undecodable_and_mixed_encodings(tmp_path):
    assert (
        "neither UTF-8 nor GBK"
        in error(write_bytes(tmp_path / "a.csv", b"a,b\n\xff\xfe\xfd,\x80\n")).reason
    )
    mixed = ("名称,税金\n" + "甲,1\n" * 20_000).encode() + "乙,2\n".encode("gbk")
    exc = error(write_bytes(tmp_path / "b.csv", mixed))
    assert "not valid UTF-8" in exc.reason
    assert "mixes encodings or is damaged" in exc.reason
    cut = "名称,税金\n甲".encode()[:-1]  # ends in the middle of '甲'
    assert "truncated" in error(write_bytes(tmp_path / "c.csv", cut)).reason


# --- fuzzing ---------------------------------------------------------------------------------------

SMALL_XLSX = xlsx_bytes(small_workbook)
SMALL_CSV = "\n".join(",".join(row) for row in [["标题"], [], HEADER, *DATA, ["合计", "", "", "1"]])
SMALL_CSV_BYTES = SMALL_CSV.encode("gbk")

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**31), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 2**31), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.binary(min_size=1, max_size=64)),
)


def mutate(data: bytes, mutations) -> bytes:
    for kind, at, what in mutations:
        if not data:
            break
        at %= len(data)
        if kind == "flip":
            data = data[:at] + bytes([data[at] ^ what]) + data[at + 1 :]
        elif kind == "truncate":
            data = data[:at]
        else:
            data = data[:at] + what + data[at:]
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def only_read_errors(path: Path) -> None:
    try:
        sheets = read_file(path)
    except ReadError as exc:
        assert str(exc).startswith(str(path)) and exc.reason
        return
    assert isinstance(sheets, list)
    for sheet in sheets:
        assert isinstance(sheet, Sheet)
        for row in sheet.rows:
            for cell in row:
                assert cell is None or isinstance(cell, str | int | float | bool | datetime.date), (
                    cell
                )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_mutated_xlsx(fuzz_dir, mutations):
    only_read_errors(write_bytes(fuzz_dir / "m.xlsx", mutate(SMALL_XLSX, mutations)))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mutations=st.lists(mutation, min_size=1, max_size=4),
    encoded=st.sampled_from([SMALL_CSV_BYTES, SMALL_CSV.encode("utf-8-sig")]),
)
def test_fuzz_mutated_csv(fuzz_dir, mutations, encoded):
    only_read_errors(write_bytes(fuzz_dir / "m.csv", mutate(encoded, mutations)))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".xlsx", ".xls", ".csv", ".txt"]))
def test_fuzz_arbitrary_bytes(fuzz_dir, data, suffix):
    only_read_errors(write_bytes(fuzz_dir / f"b{suffix}", data))


def test_every_child_is_reaped(tmp_path, monkeypatch):
    """The forked readers are waited for, whether the file was read or refused."""
    children = []
    fork = os.fork

    def recording_fork():
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(read_module.os, "fork", recording_fork)
    read_file(write_bytes(tmp_path / "a.xlsx", SMALL_XLSX))
    with pytest.raises(ReadError):
        read_file(write_bytes(tmp_path / "b.xlsx", corrupt_deflate(SMALL_XLSX)))
    assert len(children) == 2
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
