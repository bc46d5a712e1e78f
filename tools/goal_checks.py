"""Measure issue 13's goal checks on an evaluation (the demo district, or any dataset).

    python tools/goal_checks.py DATASET --year 2022 [--methodology zhenhai]

Prints, per list: grade counts and shares; the 规上 median 亩均税收 per grade (should fall from A to
D); the share of each list at the top score of each indicator (at most 10 %) and at the preset's
cap; which industry (2-digit) holds the 规上 D firms, beside its share of the list; the electricity
surcharge and land-use-tax relief totals. Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import polars as pl

from mujun.dataset import load
from mujun.engine import evaluate
from mujun.engine.evaluate import LISTS
from mujun.methodologies import load_methodology


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--methodology", default="zhenhai")
    args = parser.parse_args(argv)
    m = load_methodology(args.methodology)
    ev = evaluate(load(args.dataset), args.year, m)
    out = ev.enterprises
    graded = out.filter(pl.col("grade").is_not_null())
    failures = []

    print(f"{args.year} · {m.name} · cap {m.scoring.cap}")
    print("\ngrades per list (count, share of graded)")
    for name in LISTS:
        part = graded.filter(pl.col("list") == name)
        n = part.height
        cells = []
        for g in "ABCD":
            k = part.filter(pl.col("grade") == g).height
            cells.append(f"{g} {k} ({k / n:.1%})" if n else f"{g} 0")
        print(f"  {name:12} n={n:5}  " + "  ".join(cells))

    above = graded.filter(pl.col("list") == "above")
    medians = [
        above.filter(pl.col("grade") == g).get_column("ind_tax_per_mu").median() for g in "ABCD"
    ]
    print(
        "\n规上 median 亩均税收 by grade: "
        + ", ".join(f"{g} {v}" for g, v in zip("ABCD", medians, strict=True))
    )
    known = [v for v in medians if v is not None]
    if any(a <= b for a, b in itertools.pairwise(known)):
        failures.append("规上 median 亩均税收 does not fall from A to D")

    print("\nshare of each list at the top score (and at the cap) per indicator")
    for group, spec in m.groups.items():
        for s in spec.indicators:
            col = f"score_{s.id}"
            cap = s.weight * m.scoring.cap if m.scoring.cap is not None else None
            for name in LISTS:
                part = out.filter(
                    (pl.col("list") == name)
                    & (pl.col("group") == group)
                    & (pl.col("status") == "evaluated")
                )
                scores = part.get_column(col).drop_nulls()
                if scores.len() == 0:
                    continue
                top = scores.max()
                at_top = (scores >= top - 1e-9).sum() / scores.len()
                at_cap = (scores >= cap - 1e-9).sum() if cap is not None else 0
                flag = " !" if at_top > 0.10 else ""
                print(
                    f"  {name:12} {s.id:20} top {top:9.2f}: {at_top:6.1%}{flag}"
                    + (f"   at cap {cap:g}: {at_cap} ({at_cap / scores.len():.1%})" if cap else "")
                )
                if at_top > 0.10:
                    failures.append(f"{name}: {at_top:.0%} at the top score of {s.id}")

    d = above.filter(pl.col("grade") == "D")
    print(f"\n规上 D firms by industry (of {d.height}; share of the 规上 graded list beside)")
    division = pl.col("industry_code").str.slice(0, 2).alias("div")
    list_share = above.group_by(division).len().rename({"len": "list_n"})
    by = (
        d.group_by(division)
        .len()
        .join(list_share, on="div", how="left")
        .sort(["len", "div"], descending=[True, False])
    )
    for r in by.head(6).iter_rows(named=True):
        print(f"  {r['div']}: {r['len']} D of {d.height}; list {r['list_n']} of {above.height}")
    if by.height:
        top = by.row(0, named=True)
        if top["len"] > d.height / 2 and top["list_n"] <= above.height / 2:
            failures.append(f"industry {top['div']} holds most of the 规上 D firms")

    surcharge = out.get_column("surcharge").drop_nulls()
    relief = out.get_column("land_tax_relief").drop_nulls()
    print(
        f"\nsurcharge: {int((surcharge > 0).sum())} firms, {surcharge.sum() / 1e4:.2f} 亿元; "
        f"land-use-tax relief: {int((relief > 0).sum())} firms, {relief.sum():.1f} 万元"
    )
    by_list = (
        out.filter(pl.col("surcharge") > 0)
        .group_by("list")
        .agg(pl.len(), (pl.col("surcharge").sum() / 1e4).round(3).alias("亿元"))
        .sort("list")
    )
    print(
        "  surcharge by list: "
        + ", ".join(f"{r['list']} {r['len']} / {r['亿元']}" for r in by_list.iter_rows(named=True))
    )
    statuses = out.group_by("status").len().sort("status")
    print(
        "statuses: "
        + ", ".join(f"{r['status']} {r['len']}" for r in statuses.iter_rows(named=True))
    )
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
