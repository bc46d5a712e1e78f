"""`mujun screen`, `mujun commitments` and `mujun land` as users run them, on a synthesized district."""

from __future__ import annotations

import polars as pl
import pytest
from test_commands import run

from mujun.engine.access import HEAD as SCREEN_HEAD
from mujun.engine.commitments import HEAD as COMMITMENT_HEAD
from mujun.engine.lowland import COLUMNS as LAND_COLUMNS
from mujun.engine.methodology import LOWLAND_CATEGORIES


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = tmp_path_factory.mktemp("land")
    done = run(
        "synth", "--enterprises", "3000", "--years", "2016-2022", "--seed", "7", "--out", "d",
        cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


def test_screen_lists_every_project_with_a_verdict(district):
    done = run("screen", "d", "--out", "s.csv", cwd=district)
    assert done.returncode == 0, done.stderr
    s = pl.read_csv(district / "s.csv", infer_schema_length=None)
    projects = pl.read_csv(district / "d" / "projects.csv", infer_schema_length=None)
    assert s.columns[: len(SCREEN_HEAD)] == list(SCREEN_HEAD)
    assert sorted(s.get_column("project_id")) == sorted(projects.get_column("project_id"))
    assert set(s.get_column("verdict")) == {"admitted", "conditional", "refused"}
    assert {"cond_plot_ratio", "cond_tax_per_mu", "cond_industry"} <= set(s.columns)
    assert "refused" in done.stdout


def test_screen_is_reproducible_and_writes_xlsx(district):
    for name in ("a.parquet", "b.parquet", "s.xlsx"):
        done = run("screen", "d", "--year", "2021", "--out", name, cwd=district)
        assert done.returncode == 0, done.stderr
    assert (district / "a.parquet").read_bytes() == (district / "b.parquet").read_bytes()
    assert (district / "s.xlsx").stat().st_size > 0


def test_screen_one_project_from_toml(district):
    (district / "p.toml").write_text(
        'project_id = "NEW-1"\nname = "芯片封装项目"\nindustry_code = "3973"\n'
        "land_area_m2 = 20000.0\nfloor_area_m2 = 45000.0\ninvestment = 12000.0\n"
        "promised_tax_per_mu = 35.0\npromised_va_per_mu = 150.0\npromised_va_per_energy = 10.0\n"
        "promised_va_per_emission = 6000.0\npromised_rd_intensity = 0.05\n",
        encoding="utf-8",
    )
    done = run("screen", "d", "--project", "p.toml", "--out", "one.csv", cwd=district)
    assert done.returncode == 0, done.stderr
    one = pl.read_csv(district / "one.csv")
    assert one.height == 1 and one.row(0, named=True)["verdict"] == "admitted"
    assert "芯片封装项目: admitted" in done.stdout


def test_commitments_table(district):
    done = run("commitments", "d", "--year", "2022", "--out", "c.csv", cwd=district)
    assert done.returncode == 0, done.stderr
    c = pl.read_csv(district / "c.csv", infer_schema_length=None)
    assert c.columns[: len(COMMITMENT_HEAD)] == list(COMMITMENT_HEAD)
    assert {"met", "behind", "overdue"} <= set(c.get_column("status"))


def test_land_inventory(district):
    done = run("land", "d", "--year", "2022", "--out", "l.csv", cwd=district)
    assert done.returncode == 0, done.stderr
    inv = pl.read_csv(district / "l.csv", infer_schema_length=None)
    assert inv.columns == list(LAND_COLUMNS)
    assert set(inv.get_column("category")) == set(LOWLAND_CATEGORIES)
    assert inv.get_column("parcel_id").is_unique().all()
    assert "freeable" in done.stdout and "批而未供" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("land", "nowhere", "--year", "2022", "--out", "x.csv"),
        ("land", "d", "--year", "1999", "--out", "x.csv"),
        ("commitments", "d", "--year", "2022", "--out", "x.txt"),
        ("screen", "d", "--out", "x.csv", "--methodology", "no-such-preset"),
        ("screen", "d", "--out", "x.csv", "--project", "missing.toml"),
    ],
)
def test_bad_input_exits_1(district, args):
    done = run(*args, cwd=district)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip()


def test_bad_project_exits_1(district):
    (district / "bad.toml").write_text('industry_code = "3973"\ntax = 3\n', encoding="utf-8")
    done = run("screen", "d", "--project", "bad.toml", "--out", "x.csv", cwd=district)
    assert done.returncode == 1 and "unknown key 'tax'" in done.stderr


def test_usage_error_exits_2(district):
    assert run("land", "d", "--year", "2022", cwd=district).returncode == 2
