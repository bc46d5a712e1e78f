"""Refined tax (step 4, 税费精细化): the tax the evaluation counts, so that investing is not punished.

adjusted_tax = tax_paid + fixed_asset_vat_credit (固定资产进项税抵扣) + vat_refund (留抵退税)
+ export_vat_offset (免抵调库) − one_off_tax (e.g. tax on selling property); each term switched on or
off by the preset. An empty optional term is no amount; an empty tax_paid leaves adjusted_tax empty.
"""

from __future__ import annotations

import polars as pl

from mujun.engine.methodology import Tax

TERMS: tuple[tuple[str, int], ...] = (
    ("fixed_asset_vat_credit", 1),
    ("vat_refund", 1),
    ("export_vat_offset", 1),
    ("one_off_tax", -1),
)


def adjusted_tax(tax: Tax) -> pl.Expr:
    total = pl.col("tax_paid")
    for term, sign in TERMS:
        if getattr(tax, term):
            total = total + sign * pl.col(term).fill_null(0.0)
    return total.alias("adjusted_tax")
