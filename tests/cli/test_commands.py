"""The command line as the acceptance checks run it: the real `mujun` executable on real files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from mujun.engine.evaluate import CONTRACT_HEAD, CONTRACT_TAIL

MUJUN = str(Path(sys.executable).with_name("mujun"))
PARCEL_COLUMNS = [
    "parcel_id", "owner_uscc", "area_mu", "occupied_share", "vacant_share", "occupants",
    "tax_per_mu", "value_added_per_mu", "grade",
]  # fmt: skip


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([MUJUN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    done = run(
        "synth",
        "--enterprises",
        "800",
        "--years",
        "2016-2022",
        "--seed",
        "7",
        "--out",
        "d",
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    return root


def test_synth_then_validate(district):
    done = run("validate", "d", cwd=district)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout and "800 enterprises" in done.stdout


def test_evaluate_writes_the_contract_columns(district):
    done = run(
        "evaluate", "d", "--year", "2022", "--out", "r.csv", "--parcels", "p.csv", cwd=district
    )
    assert done.returncode == 0, done.stderr
    r = pl.read_csv(district / "r.csv", infer_schema_length=None)
    assert r.columns[: len(CONTRACT_HEAD)] == list(CONTRACT_HEAD)
    for name in CONTRACT_TAIL:
        assert name in r.columns
    assert any(c.startswith("ind_") for c in r.columns) and any(
        c.startswith("score_") for c in r.columns
    )
    annual = pl.read_csv(district / "d" / "annual.csv", infer_schema_length=0).filter(
        pl.col("year") == "2022"
    )
    assert sorted(r.get_column("uscc").to_list()) == sorted(annual.get_column("uscc").to_list())
    assert set(r.get_column("list").unique()) == {"above", "below", "below_small", "tenant"}
    assert set(r.get_column("grade").drop_nulls().unique()) == {"A", "B", "C", "D"}
    assert set(r.get_column("status").unique()) <= {
        "evaluated",
        "exempt",
        "vetoed",
        "no_land",
        "no_data",
    }
    p = pl.read_csv(district / "p.csv", infer_schema_length=None)
    assert p.columns[: len(PARCEL_COLUMNS)] == PARCEL_COLUMNS


def test_evaluate_with_huangyan(district):
    done = run(
        "evaluate",
        "d",
        "--year",
        "2022",
        "--methodology",
        "huangyan-2022",
        "--out",
        "h.csv",
        cwd=district,
    )
    assert done.returncode == 0, done.stderr
    r = pl.read_csv(district / "h.csv", infer_schema_length=None)
    assert "ind_tax_per_kwh" in r.columns
    # 黄岩 counts the tax paid alone
    assert (r.get_column("adjusted_tax") == r.get_column("tax_paid")).all()


def test_a_year_without_fixed_benchmarks_is_refused(district):
    done = run(
        "evaluate",
        "d",
        "--year",
        "2019",
        "--methodology",
        "huangyan-2022",
        "--out",
        "x.csv",
        cwd=district,
    )
    assert done.returncode == 1
    assert "no fixed benchmark for 2019" in done.stderr
    assert not (district / "x.csv").exists()


def test_evaluate_writes_the_published_workbook(district):
    done = run(
        "evaluate", "d", "--year", "2022", "--out", "r.xlsx", "--parcels", "p.xlsx", cwd=district
    )
    assert done.returncode == 0, done.stderr
    book = CalamineWorkbook.from_path(str(district / "r.xlsx"))
    assert book.sheet_names == ["封面", "规上", "规下≥3亩", "规下<3亩", "租赁企业", "宗地"]
    cover = book.get_sheet_by_name("封面").to_python()
    cells = {row[0]: row[1] for row in cover if row and row[0]}
    assert cells["办法代号"] == "zhenhai" and len(cells["办法哈希 (methodology SHA-256)"]) == 64
    assert len(cells["数据哈希 (input SHA-256)"]) == 64
    header = book.get_sheet_by_name("规上").to_python()[0]
    assert header[:3] == ["统一社会信用代码", "企业名称", "年度"]
    assert "亩均税收（万元/亩）" in header and "等级" in header
    above = pl.read_csv(district / "r.csv", infer_schema_length=None).filter(
        pl.col("list") == "above"
    )
    assert len(book.get_sheet_by_name("规上").to_python()) == above.height + 1
    assert CalamineWorkbook.from_path(str(district / "p.xlsx")).sheet_names == ["宗地"]


def test_outputs_are_byte_identical(district, tmp_path):
    copy = tmp_path / "d2"
    shutil.copytree(district / "d", copy)
    for suffix in ("csv", "xlsx", "parquet"):
        a = run("evaluate", "d", "--year", "2021", "--out", f"a.{suffix}", cwd=district)
        b = run(
            "evaluate",
            str(copy),
            "--year",
            "2021",
            "--out",
            str(tmp_path / f"b.{suffix}"),
            cwd=district,
        )
        assert a.returncode == b.returncode == 0
        assert (district / f"a.{suffix}").read_bytes() == (tmp_path / f"b.{suffix}").read_bytes(), (
            suffix
        )


def test_a_broken_dataset_is_refused_with_every_problem_named(district, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(district / "d", bad)
    enterprises = (bad / "enterprises.csv").read_text().splitlines()
    code = enterprises[1].split(",")[0]
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    enterprises[1] = enterprises[1].replace(code, broken, 1)
    (bad / "enterprises.csv").write_text("\n".join(enterprises) + "\n")
    occupancy = (bad / "occupancy.csv").read_text().splitlines()
    first = occupancy[1].split(",")
    occupancy.append(",".join(["ZH-NOWHERE", *first[1:]]))
    (bad / "occupancy.csv").write_text("\n".join(occupancy) + "\n")
    annual = pl.read_csv(bad / "annual.csv", infer_schema_length=0)
    annual = annual.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("-12.5"))
        .otherwise(pl.col("tax_paid"))
        .alias("tax_paid")
    )
    annual.write_csv(bad / "annual.csv")

    done = run("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 1
    assert f"enterprises.csv row 2, column uscc: invalid USCC '{broken}'" in done.stderr
    assert "check character" in done.stderr
    assert (
        f"occupancy.csv row {len(occupancy)}, column parcel_id: unknown parcel 'ZH-NOWHERE'"
        in done.stderr
    )
    assert "annual.csv row 6, column tax_paid: negative amount -12.5" in done.stderr
    refused = run("evaluate", str(bad), "--year", "2022", "--out", "r.csv", cwd=tmp_path)
    assert refused.returncode == 1
    for needle in ("invalid USCC", "unknown parcel 'ZH-NOWHERE'", "negative amount -12.5"):
        assert needle in refused.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "d", "--out", "r.csv"],  # --year missing
        ["evaluate", "d", "--year", "twenty"],
        ["synth", "--enterprises", "800"],  # --out missing
        ["sensitivity", "d", "--year", "2022", "--draws", "5", "--sobol", "24"],  # not 2^k
        ["sensitivity", "d", "--year", "2022", "--draws", "5", "--sobol-out", "s.csv"],
        ["sensitivity", "d", "--year", "2022", "--draws", "5", "--sobol", "8", "--spread", "0",
         "--methods", "preset"],  # nothing varies
        ["frobnicate"],
    ],
)  # fmt: skip
def test_usage_errors_exit_2(district, args):
    assert run(*args, cwd=district).returncode == 2


def test_sensitivity_adds_sobol_indices_and_repeats_with_its_seed(district):
    args = ["sensitivity", "d", "--year", "2022", "--draws", "20", "--seed", "3"]
    plain = run(*args, cwd=district)
    assert plain.returncode == 0, plain.stderr
    assert "rank stability per list" in plain.stdout and "Sobol" not in plain.stdout
    for name in ("s1.csv", "s2.csv"):
        done = run(*args, "--sobol", "16", "--sobol-out", name, cwd=district)
        assert done.returncode == 0, done.stderr
        assert "rank stability per list" in done.stdout  # the Monte Carlo is still there
        assert "Sobol' indices" in done.stdout and "benchmark" in done.stdout
    assert (district / "s1.csv").read_bytes() == (district / "s2.csv").read_bytes()
    s = pl.read_csv(district / "s1.csv")
    assert s.columns == [
        "group", "list", "target", "target_label", "input", "input_label",
        "S1", "S1_conf", "ST", "ST_conf",
    ]  # fmt: skip
    assert set(s["target"]) == {"rank_shift", "grade_change"}
    assert "基准值方法" in s["input_label"].to_list()


def test_bad_input_exits_1(district):
    assert run("evaluate", "d", "--year", "2030", cwd=district).returncode == 1
    assert run("evaluate", "d", "--year", "2022", "--out", "r.txt", cwd=district).returncode == 1
    assert (
        run("evaluate", "d", "--year", "2022", "--methodology", "nowhere", cwd=district).returncode
        == 1
    )
    assert run("validate", "missing-folder", cwd=district).returncode == 1


def test_a_county_methodology_file(district):
    text = (Path(__file__).parents[2] / "mujun" / "methodologies" / "zhenhai.toml").read_text()
    (district / "county.toml").write_text(
        text.replace(
            "[scoring]\n", "[scoring]\ncap = { value = 2.0, illustrative = true }\n"
        ).replace('name = "zhenhai"', 'name = "county"')
    )
    done = run(
        "evaluate",
        "d",
        "--year",
        "2022",
        "--methodology",
        "county.toml",
        "--out",
        "c.csv",
        cwd=district,
    )
    assert done.returncode == 0, done.stderr
    c = pl.read_csv(district / "c.csv", infer_schema_length=None)
    above = c.filter(pl.col("group") == "above").get_column("score_tax_per_mu")
    assert above.max() == pytest.approx(60.0)  # the giants hit the cap: 2 × weight 30
    # a preset with a cap: the summary says how much of each list sits at it
    at_cap = int((above >= 60.0 - 1e-9).sum())
    assert "firms at the score cap (2 × weight)" in done.stdout
    assert re.search(rf"规上 \(above\)\s+│\s+tax_per_mu\s+│\s+{at_cap}\s+│", done.stdout)
    (district / "broken.toml").write_text(text.replace("weight = 30", "weight = -30"))
    bad = run("evaluate", "d", "--year", "2022", "--methodology", "broken.toml", cwd=district)
    assert bad.returncode == 1
    assert "groups.above.indicators.0.weight" in bad.stderr


def test_methodologies_unsourced_lists_every_illustrative_value(tmp_path):
    from mujun.methodologies import available, load_methodology

    done = run("methodologies", "--unsourced", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name in available():
        m = load_methodology(name)
        assert f"{name}: {len(m.illustrative())} illustrative values" in lines
        for path, value, _ in m.illustrative():
            assert any(line.startswith(f"  {path} = {value:g} · ") for line in lines), path
    assert (
        "  grading.thresholds.C = 50 · D as a floor, not a quota (c.2014 provincial guidance "
        in ("\n".join(lines))
    )
    assert not any(" groups.above.indicators." in line for line in lines)  # 黄岩's weights
    listing = run("methodologies", cwd=tmp_path)
    assert listing.returncode == 0 and "illustrative" in listing.stdout


def test_evaluate_says_how_many_methodology_values_are_illustrative(district):
    from mujun.methodologies import load_methodology

    done = run("evaluate", "d", "--year", "2022", "--methodology", "huangyan-2022", cwd=district)
    assert done.returncode == 0, done.stderr
    n = len(load_methodology("huangyan-2022").illustrative(evaluation=True))
    assert (
        f"{n} illustrative values (no source) in the evaluation of methodology huangyan-2022"
        in (done.stdout)
    )
    done = run("evaluate", "d", "--year", "2022", "--out", "s.xlsx", cwd=district)
    assert done.returncode == 0, done.stderr
    n = len(load_methodology("zhenhai").illustrative(evaluation=True))
    assert (
        n > 0
        and f"{n} illustrative values (no source) in the evaluation of methodology zhenhai"
        in (done.stdout)
    )
    cover = CalamineWorkbook.from_path(str(district / "s.xlsx")).get_sheet_by_name("封面")
    cells = {row[0]: row[1] for row in cover.to_python() if row and row[0]}
    assert cells["无出处的示意数值 (illustrative values)"] == str(n)
