"""The People's Congress report as a reader gets it: a PDF whose pages render, whose Chinese text is
in the text layer and whose only font is the one mujun ships; and the `report`/`scitech` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mujun.dataset import Dataset
from mujun.methodologies import load_methodology
from mujun.reports.congress import build_report, report_data_from_dataset
from mujun.synth import synthesize

MUJUN = str(Path(sys.executable).with_name("mujun"))
PAGES = 6


def _poppler() -> None:
    if shutil.which("pdftoppm") is None or shutil.which("pdffonts") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils (pdftoppm, pdftotext, pdffonts) must be installed in CI")
        pytest.skip("poppler-utils not installed")


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return Dataset.from_frames(**synthesize(300, list(range(2018, 2023)), 7))


@pytest.fixture(scope="module")
def pdf(ds, tmp_path_factory) -> Path:
    data = report_data_from_dataset(ds, 2022, load_methodology("zhenhai"))
    path = tmp_path_factory.mktemp("congress") / "report.pdf"
    path.write_bytes(build_report(data))
    return path


def poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def test_pages_render(pdf, tmp_path):
    _poppler()
    assert f"Pages:           {PAGES}" in poppler("pdfinfo", str(pdf))
    poppler("pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page"))
    assert len(list(tmp_path.glob("page-*.png"))) == PAGES


def test_chinese_is_in_the_text_layer(pdf):
    _poppler()
    text = poppler("pdftotext", str(pdf), "-")
    for words in (
        "专项工作报告",
        "甬江科创区",
        "甬江芯谷",
        "目标任务完成情况",
        "亩均税收",
        "滞后任务",
    ):
        assert words in text


def test_only_the_shipped_font_is_embedded(pdf):
    _poppler()
    lines = poppler("pdffonts", str(pdf)).splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in lines}
    assert names == {"Mujun-Sans-SC", "Mujun-Sans-SC-Bold"}
    assert all(" yes yes yes " in line for line in lines)  # embedded, subset, with ToUnicode


def test_same_data_same_pdf(ds, pdf):
    again = build_report(report_data_from_dataset(ds, 2022, load_methodology("zhenhai")))
    assert again == pdf.read_bytes()


@pytest.fixture(scope="module")
def district(ds, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("district")
    ds.write(path)
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MUJUN, *args], capture_output=True, text=True, timeout=120)


def test_report_command(district, tmp_path):
    out = tmp_path / "out" / "report.pdf"
    done = run("report", "--year", "2022", "--out", str(out), "--data", str(district))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    missing = run("report", "--year", "2022", "--out", str(out), "--home", str(tmp_path / "none"))
    assert missing.returncode == 1
    assert "no database at" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[report]\n", encoding="utf-8")
    refused = run("report", "--year", "2022", "--out", str(out), "--data", str(district),
                  "--targets", str(bad))  # fmt: skip
    assert refused.returncode == 1
    assert "bad.toml" in refused.stderr


def test_scitech_command(district, tmp_path):
    out = tmp_path / "counts.csv"
    done = run("scitech", str(district), "--year", "2022", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "甬江芯谷" in done.stdout
    assert "behind" in done.stdout
    assert "high_tech" in done.stdout
    assert out.read_text(encoding="utf-8").startswith("year,by,area,kind,enterprises")
    assert run("scitech", str(district), "--year", "1999").returncode == 1


def test_the_zones_tax_per_mu_is_blank_when_one_firm_pays_most_of_it(ds):
    """Deputies see no single firm's tax: where one firm pays most of the zone's tax, the report
    shows no zone 亩均税收 (it would be that firm's, near enough)."""
    import polars as pl

    from mujun.scitech.pipeline import in_zone
    from mujun.scitech.targets import load_targets

    m = load_methodology("zhenhai")
    before = report_data_from_dataset(ds, 2022, m).tax_per_mu.filter(pl.col("year") == 2022)
    # the district's own figure may already be blank: its refinery can pay most of its tax
    assert before["zone"].item() is not None
    members = in_zone(ds, load_targets().report.zone)["uscc"]
    big = ds.annual.filter((pl.col("year") == 2022) & pl.col("uscc").is_in(members.implode()))
    big = big.sort("tax_paid", descending=True)["uscc"][0]
    total = ds.annual.filter(pl.col("year") == 2022)["tax_paid"].sum()
    boosted = ds.annual.with_columns(
        pl.when((pl.col("uscc") == big) & (pl.col("year") == 2022))
        .then(pl.col("tax_paid") + 10 * total)
        .otherwise(pl.col("tax_paid"))
        .alias("tax_paid")
    )
    frames = {**ds.tables(), "annual": boosted}
    after = report_data_from_dataset(Dataset.from_frames(**frames), 2022, m)
    row = after.tax_per_mu.filter(pl.col("year") == 2022)
    assert row["zone"].item() is None and row["district"].item() is None
    assert build_report(after).startswith(b"%PDF")  # a blank is written as such
