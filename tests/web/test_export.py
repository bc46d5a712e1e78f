"""Exports defuse spreadsheet formulas: a firm named `=HYPERLINK(...)` is text (with a leading
apostrophe in the enterprise list's CSV and XLSX; a string cell in the published list)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from mujun.web import services
from mujun.web.models import DataVersion, Enterprise, Preset, Result

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://x","click")'


@pytest.fixture
def evil_firm() -> str:
    run = services.published(2022)
    row = Result.objects.filter(run=run, division_code="330211001").order_by("uscc").first()
    # QuerySet.update: the test plays an attacker who got the name into the database
    Result.objects.filter(run=run, uscc=row.uscc).update(name=EVIL)
    Enterprise.objects.filter(uscc=row.uscc).update(name=EVIL)
    return row.uscc


@pytest.mark.parametrize("role", ["analyst", "street"])
def test_csv_export(login, evil_firm, role):
    response = login(role).get("/enterprises/?export=csv&year=2022")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    name = next(r[1] for r in rows if r[0] == evil_firm)
    assert name == "'" + EVIL
    assert not any(cell.startswith(("=", "+", "@")) for r in rows[1:] for cell in r)


def test_xlsx_export(login, evil_firm):
    response = login("analyst").get("/enterprises/?export=xlsx&year=2022")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [row for row in sheet.iter_rows(min_row=2) if row[0].value == evil_firm]
    assert len(cells) == 1
    name = cells[0][1]
    assert name.data_type == "s"
    assert name.value == "'" + EVIL
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_published_list_stores_names_as_text(district):
    """The published list (xlsxwriter write_string) keeps a formula-like name as a string cell."""
    graded = Result.objects.filter(run=services.published(2022), status="evaluated")
    uscc = graded.exclude(grade="").order_by("uscc").first().uscc
    names = [
        EVIL if u == uscc else n
        for u, n in zip(district.enterprises["uscc"], district.enterprises["name"], strict=True)
    ]
    import polars as pl

    ds = district.__class__.from_frames(
        **{
            **district.tables(),
            "enterprises": district.enterprises.with_columns(pl.Series("name", names)),
        }
    )
    version = services.commit_version(services.store_dataset(ds, DataVersion.Kind.IMPORT))
    run = services.publish_run(
        services.create_run(2022, Preset.objects.get(name="zhenhai"), version)
    )
    book = openpyxl.load_workbook(io.BytesIO(bytes(run.published_xlsx)))
    found = [
        c
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert found and Result.objects.get(run=run, uscc=uscc).name == EVIL
    for c in found:
        assert c.data_type == "s"
    # the only formulas are the error values standing for missing numbers (=#NUM!)
    formulas = {
        c.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.data_type == "f"
    }
    assert all(f.startswith("=#") for f in formulas), formulas
