"""Reference data shipped inside the package: GB/T 4754-2017 industries and Zhenhai's divisions."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("mujun.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def industries() -> dict[str, dict[str, str]]:
    """Every GB/T 4754-2017 code (section, division, group, class), its level and Chinese name."""
    return {r["code"]: r for r in _rows("industry_gbt4754_2017.csv")}


@cache
def industry_classes() -> frozenset[str]:
    """The 4-digit class codes (小类), the level the dataset records."""
    return frozenset(c for c, r in industries().items() if r["level"] == "class")


def industry_name(code: str) -> str:
    row = industries().get(code)
    return row["name_zh"] if row else ""


@cache
def divisions() -> dict[str, str]:
    """Zhenhai's subdistricts and towns (9-digit code → name), as published by the NBS in 2022."""
    return {
        r["code"]: r["name_zh"] for r in _rows("zhenhai_divisions.csv") if r["level"] != "district"
    }
