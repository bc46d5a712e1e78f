"""What the synthetic district is calibrated to: Zhenhai's public figures, and how to measure them.

Each `Target` is one published figure (docs/synth-calibration.md gives the sources at length) with
the band the synthetic district must fall in, and `measure(tables)` computes the same figure from
the synthetic tables. Figures come in three kinds:

* `total`: a district total (亿元). The synthetic district is Zhenhai at full size when it has
  `profiles.FULL_SIZE` firms (one refinery, three chemical majors, the rest in proportion), so a
  total measured on `n` firms is compared after scaling by FULL_SIZE / n.
* `count`: a number of firms, scaled the same way.
* `ratio`: a ratio, median or share, compared as it is, whatever the size.

The measurements use the engine's own land allocation, refined tax and R&D test, so the district is
measured the way an evaluation would see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.land import allocate, enterprise_land
from mujun.engine.methodology import RdTest, Tax
from mujun.engine.policy import rd_test
from mujun.engine.tax import adjusted_tax
from mujun.synth.profiles import (
    FULL_SIZE,
    LOW_EFFICIENCY_MIN_MU,
    LOW_EFFICIENCY_TAX_PER_MU,
    PETROCHEM_DIVISIONS,
)

YI = 10_000.0
"""万元 per 亿元."""


@dataclass(frozen=True)
class Target:
    key: str
    figure: str
    public: str
    """The published value, as published."""
    year: int
    kind: Literal["total", "count", "ratio"]
    low: float
    high: float
    """The band the synthetic figure (scaled to full size for totals and counts) must fall in."""
    unit: str
    source: str


TARGETS: tuple[Target, ...] = (
    Target(
        "above_output_2019",
        "规上工业总产值",
        "2507",
        2019,
        "total",
        2507 * 0.9,
        2507 * 1.1,
        "亿元",
        "镇海区政府工作报告 (on 2019), zh.gov.cn col1229032576",
    ),
    Target(
        "above_va_2019",
        "规上工业增加值",
        "652",
        2019,
        "total",
        652 * 0.9,
        652 * 1.1,
        "亿元",
        "镇海区政府工作报告 (on 2019), zh.gov.cn col1229032576",
    ),
    Target(
        "above_va_2021",
        "规上工业增加值",
        "713.5",
        2021,
        "total",
        713.5 * 0.9,
        713.5 * 1.1,
        "亿元",
        "镇海区政府工作报告 2022 (on 2021), t.uf.cn/t/2022/0323/8158.html",
    ),
    Target(
        "above_rd_2021",
        "规上工业企业研究开发费",
        "41.7",
        2021,
        "total",
        41.7 * 0.85,
        41.7 * 1.15,
        "亿元",
        "镇海区政府工作报告 2022 (on 2021), t.uf.cn/t/2022/0323/8158.html",
    ),
    Target(
        "petrochem_output_2020",
        "石化产业规上产值 (divisions 25, 26, 28)",
        "1629.4 (绿色石化产业集群 1662.9)",
        2020,
        "total",
        1629.4 * 0.85,
        1662.9 * 1.15,
        "亿元",
        "浙江日报 2021-03-26 p. 18; 镇海区政府工作报告 (on 2020), zh.gov.cn col1229032576",
    ),
    Target(
        "petrochem_tax_2019",
        "石化 block tax paid (park: 税收)",
        "198.46 (宁波石化经开区)",
        2019,
        "total",
        198.46 * 0.7,
        198.46 * 1.3,
        "亿元",
        "中国宁波网 2020-10-15 (the park, not divisions 25/26/28: a loose band)",
    ),
    Target(
        "rd_test_failures_2019",
        "规上 firms failing the R&D test (≥ 100 万元 or ≥ 2 % of revenue)",
        "284",
        2019,
        "count",
        284 * 0.8,
        284 * 1.2,
        "firms",
        "今日镇海 via investchn.com 2021-04-29",
    ),
    Target(
        "above_count_2019",
        "规上 firms (lower bound: those in the 17 traditional parks)",
        "≥ 464",
        2019,
        "count",
        464,
        800,
        "firms",
        "reprint of a 镇海 report c. 2018, 0791gy.com/machinenotes/detail/id/9340.html",
    ),
    Target(
        "below_per_above_2022",
        "规下 firms per 规上 firm in the evaluation",
        "4.2 (海曙 2024: 3,420 : 820)",
        2022,
        "ratio",
        3.6,
        4.8,
        "",
        "chacewang.com news851641 (海曙; 镇海's own count not published)",
    ),
    Target(
        "labour_productivity_median_2022",
        "规上 全员劳动生产率, median firm",
        "16–20 (黄岩 benchmark 17.45 / 18.14, 丽水 16.45)",
        2022,
        "ratio",
        15.0,
        21.0,
        "万元/人",
        "黄岩 2021/2022 benchmarks, chacewang news169062, news430850; 丽水 2019 dashboard",
    ),
    Target(
        "low_efficiency_share_2022",
        "firms on ≥ 3 亩 under 4 万元/亩 亩均税收, share of firms on ≥ 3 亩",
        "≈ 0 (基本出清)",
        2022,
        "ratio",
        0.0,
        0.025,
        "",
        "浙江日报 2022-12-21, zjrb.zjol.com.cn/html/2022-12/21/content_3613268.htm",
    ),
    Target(
        "low_efficiency_firms_2019",
        "firms on ≥ 3 亩 under 4 万元/亩 亩均税收 (to be rectified 2019–2022)",
        "of the order of 275 (high-consumption, low-efficiency firms rectified 2019–2022)",
        2019,
        "count",
        275 * 0.5,
        275 * 1.25,
        "firms",
        "浙江日报 2022-12-21 (as above)",
    ),
)


def _year(annual: pl.DataFrame, year: int) -> pl.DataFrame:
    return annual.filter(pl.col("year") == year)


def _yi(frame: pl.DataFrame, column: str) -> float:
    return float(frame.get_column(column).sum()) / YI


def _with_land(tables: dict[str, pl.DataFrame], year: int) -> pl.DataFrame:
    """The year's annual rows with the engine's land (亩) and refined tax (every term on)."""
    land = enterprise_land(
        tables["parcels"], allocate(tables["parcels"], tables["occupancy"], year)
    )
    return (
        _year(tables["annual"], year)
        .join(land.select("uscc", "land_mu", "own_land_mu"), on="uscc", how="left")
        .join(tables["enterprises"].select("uscc", "established"), on="uscc", how="left")
        .with_columns(pl.col("land_mu", "own_land_mu").fill_null(0.0), adjusted_tax(Tax()))
    )


def _low_efficiency(tables: dict[str, pl.DataFrame], year: int) -> tuple[int, int]:
    """(firms owning ≥ 3 亩 under 4 万元/亩 on the land they answer for, firms owning ≥ 3 亩),
    leaving out firms registered less than two years before `year` (every preset exempts them).
    Tenants do not count: they occupy no land of their own (占地)."""
    firms = _with_land(tables, year).filter(
        (pl.col("own_land_mu") >= LOW_EFFICIENCY_MIN_MU)
        & (year - pl.col("established").dt.year() >= 2)
    )
    low = firms.filter(pl.col("adjusted_tax") / pl.col("land_mu") < LOW_EFFICIENCY_TAX_PER_MU)
    return low.height, firms.height


def measure(tables: dict[str, pl.DataFrame]) -> dict[str, float]:
    """Every target's figure on `tables`, totals and counts scaled to full size."""
    n = tables["enterprises"].height
    scale = FULL_SIZE / n
    annual = tables["annual"].join(
        tables["enterprises"].select("uscc", "industry_code"), on="uscc", how="left"
    )
    above = annual.filter(pl.col("scale") == "above")
    petro = above.filter(pl.col("industry_code").str.slice(0, 2).is_in(PETROCHEM_DIVISIONS))
    out: dict[str, float] = {
        "above_output_2019": _yi(_year(above, 2019), "output") * scale,
        "above_va_2019": _yi(_year(above, 2019), "value_added") * scale,
        "above_va_2021": _yi(_year(above, 2021), "value_added") * scale,
        "above_rd_2021": _yi(_year(above, 2021), "rd_expense") * scale,
        "petrochem_output_2020": _yi(_year(petro, 2020), "output") * scale,
        "petrochem_tax_2019": _yi(_year(petro, 2019), "tax_paid") * scale,
    }
    tested = _year(above, 2019).with_columns(group=pl.col("scale")).with_columns(rd_test(RdTest()))
    out["rd_test_failures_2019"] = (tested.get_column("rd_test") == "fail").sum() * scale
    out["above_count_2019"] = _year(above, 2019).height * scale
    last = _year(annual, 2022)
    n_above = (last.get_column("scale") == "above").sum()
    out["below_per_above_2022"] = (last.height - n_above) / n_above
    lp = _year(above, 2022).get_column("value_added") / _year(above, 2022).get_column("employees")
    out["labour_productivity_median_2022"] = float(lp.median())
    low, on_land = _low_efficiency(tables, 2022)
    out["low_efficiency_share_2022"] = low / on_land
    out["low_efficiency_firms_2019"] = _low_efficiency(tables, 2019)[0] * scale
    return out


def extras(tables: dict[str, pl.DataFrame], year: int = 2022) -> dict[str, float]:
    """Figures with no band, reported beside the targets in docs/synth-calibration.md."""
    firms = _with_land(tables, year)
    above = firms.filter((pl.col("scale") == "above") & (pl.col("land_mu") > 0))
    tax_mu = above.get_column("adjusted_tax") / above.get_column("land_mu")
    va_mu = above.get_column("value_added") / above.get_column("land_mu")
    return {
        "above_tax_per_mu_aggregate": float(above["adjusted_tax"].sum() / above["land_mu"].sum()),
        "above_tax_per_mu_median": float(tax_mu.median()),
        "above_va_per_mu_aggregate": float(above["value_added"].sum() / above["land_mu"].sum()),
        "above_va_per_mu_median": float(va_mu.median()),
        "above_rd_intensity": float(above["rd_expense"].sum() / above["revenue"].sum()),
        "above_labour_productivity_aggregate": float(
            above["value_added"].sum() / above["employees"].sum()
        ),
        "above_count": float(above.height),
        "land_mu_total": float(tables["parcels"].get_column("area_m2").sum() / M2_PER_MU),
    }
