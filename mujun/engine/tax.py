"""Refined tax (step 4, 税费精细化): the tax the evaluation counts, so that investing is not punished.

adjusted_tax = tax_paid + fixed_asset_vat_credit (固定资产进项税抵扣) + vat_refund (留抵退税)
+ export_vat_offset (免抵调库) + export_refund (出口退税) − one_off_tax (e.g. tax on selling
property); each term switched on or off by the preset. An empty optional term is no amount; an empty
tax_paid leaves adjusted_tax empty. `counted_terms` gives each term as counted, for the output.
"""

from __future__ import annotations

import polars as pl

from mujun.engine.methodology import Tax

TERMS: tuple[tuple[str, int], ...] = (
    ("fixed_asset_vat_credit", 1),
    ("vat_refund", 1),
    ("export_vat_offset", 1),
    ("export_refund", 1),
    ("one_off_tax", -1),
)


def adjusted_tax(tax: Tax) -> pl.Expr:
    total = pl.col("tax_paid")
    for term, sign in TERMS:
        if getattr(tax, term):
            total = total + sign * pl.col(term).fill_null(0.0)
    return total.alias("adjusted_tax")


def counted_terms(tax: Tax) -> list[pl.Expr]:
    """Each term as adjusted_tax counts it (`tax_<term>`, signed; 0 when empty, null when the
    preset leaves the term out): shown beside tax_paid and adjusted_tax."""
    return [
        (
            (pl.lit(0.0) + sign * pl.col(term).fill_null(0.0))
            if getattr(tax, term)
            else pl.lit(None, pl.Float64)
        )
        .cast(pl.Float64)
        .alias(f"tax_{term}")
        for term, sign in TERMS
    ]
