"""What of a firm's tax each reader may see: the columns that reveal it, the published list cut to
a reader's scope, and the aggregates too small or too concentrated to show.

A single firm's tax (实缴税金, 评价税收) is for the bureau, the firm itself and its street office.
Everyone else reads the published results without it, and without what gives it back: every
tax-based indicator and its score; the total score (less the other indicators' scores, which anyone
can recompute from their values and the benchmarks, it is the tax indicators' score); the
industry's tax per mu (for an industry of one firm it is that firm's); the land-use-tax relief (its
tier is set by the firm's tax per mu). A tax aggregate over a group of firms is shown to them only
when it cannot be read as one firm's: the group has at least `MIN_FIRMS` firms and none pays more
than `MAX_TOP_SHARE` of its tax (the threshold and dominance rules of statistical disclosure
control; Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §5.2). No reader without
tax access can then bracket a firm's tax within ±10 % by an aggregate: with the largest firm at
most 75 % of its group, the group's total places any one firm only in [0, 0.75·total].
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mujun.engine.indicators import INDICATORS
from mujun.engine.tax import TERMS

TAX_AMOUNTS = frozenset({"tax_paid", "adjusted_tax"})
TAX_INDICATORS = frozenset(
    i.id for i in INDICATORS.values() if {i.numerator, i.denominator} & TAX_AMOUNTS
)
"""Indicators computed from a firm's tax (亩均税收, 单位用电税收)."""

DERIVED_FROM_TAX = frozenset(
    {
        "total_score",
        "tax_per_mu",  # a parcel's (and the web's stored copy of a firm's)
        "industry_tax_per_mu",
        "land_tax_relief_share",
        "land_tax_relief",
        # each refined-tax term as counted (tax_fixed_asset_vat_credit, tax_export_refund, …)
        *(f"tax_{term}" for term, _ in TERMS),
    }
)
_PER_INDICATOR = ("ind_", "score_", "bm_")

MIN_FIRMS = 3
MAX_TOP_SHARE = 0.75


def reveals_tax(column: str) -> bool:
    """Whether a published column (of firms or parcels) gives away a single firm's tax."""
    if column in TAX_AMOUNTS or column in DERIVED_FROM_TAX:
        return True
    for prefix in _PER_INDICATOR:
        if column.startswith(prefix):
            return column.removeprefix(prefix) in TAX_INDICATORS
    return False


def tax_columns(columns: list[str]) -> list[str]:
    return [c for c in columns if reveals_tax(c)]


def disclosable(firms: int | None, total: float | None, largest: float | None) -> bool:
    """Whether a tax aggregate over `firms` firms (their `total` tax, the `largest` firm's) may be
    shown to a reader without tax access."""
    if not firms or firms < MIN_FIRMS or total is None or largest is None or total <= 0:
        return False
    return largest <= MAX_TOP_SHARE * total


def suppressed(cells: list[dict], total_shown: bool) -> set[int]:
    """Which cells of a partition (each a dict with `firms`, `tax_total`, `tax_top`) to blank for
    a reader without tax access: every cell not disclosable; then, when the partition's total is
    shown (the district's 亩均税收 beside its divisions'), more cells, largest first, until the
    blank ones together are disclosable — the total less the cells shown gives back their sum."""

    def ok(group: list[dict]) -> bool:
        return disclosable(
            sum(c.get("firms") or 0 for c in group),
            sum(c.get("tax_total") or 0.0 for c in group) if group else None,
            max((c.get("tax_top") for c in group if c.get("tax_top") is not None), default=None),
        )

    hidden = {i for i, c in enumerate(cells) if not ok([c])}
    if not hidden or not total_shown:
        return hidden
    shown = sorted(
        (i for i in range(len(cells)) if i not in hidden),
        key=lambda i: (-(cells[i].get("tax_total") or 0.0), i),
    )
    while shown and not ok([cells[i] for i in hidden]):
        hidden.add(shown.pop(0))
    return hidden


@dataclass(frozen=True)
class Audience:
    """Who a published list is written for: with or without single-firm tax, and the whole district
    or one division (a street office's)."""

    tax: bool = True
    division: str | None = None

    @property
    def whole(self) -> bool:
        return self.tax and self.division is None

    def describe(self, division_name: str | None = None) -> str:
        scope = "全区" if self.division is None else (division_name or self.division)
        return scope + ("" if self.tax else "（不含单户企业税收及由其推算的数据）")

    def enterprises(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.division is not None:
            frame = frame.filter(pl.col("division_code") == self.division)
        return frame if self.tax else frame.drop(tax_columns(frame.columns))

    def parcels(self, parcels: pl.DataFrame, enterprises: pl.DataFrame) -> pl.DataFrame:
        """The parcels in scope; a parcel's tax figures only where the reader may see the tax of
        every firm on it (a parcel's 亩均税收 times its area is the sum of its occupants' tax)."""
        if self.division is not None:
            parcels = parcels.filter(pl.col("division_code") == self.division)
            outside = enterprises.filter(pl.col("division_code") != self.division)
            mixed = (
                pl.col("occupant_usccs")
                .str.split(";")
                .list.eval(pl.element().is_in(outside.get_column("uscc").implode()))
                .list.any()
            )
            hidden = tax_columns(parcels.columns)
            parcels = parcels.with_columns(
                pl.when(mixed.fill_null(False)).then(None).otherwise(pl.col(c)).alias(c)
                for c in hidden
            )
        return parcels if self.tax else parcels.drop(tax_columns(parcels.columns))
