"""The disclosure rules: which columns give a firm's tax away, and which aggregates may be shown."""

from __future__ import annotations

from mujun.reports.disclosure import disclosable, reveals_tax, suppressed


def test_the_columns_made_from_tax():
    for column in (
        "tax_paid",
        "adjusted_tax",
        "ind_tax_per_mu",
        "score_tax_per_kwh",
        "bm_tax_per_mu",
        "tax_export_refund",
        "tax_fixed_asset_vat_credit",
    ):
        assert reveals_tax(column)
    # the total less the other scores is the tax indicators' score
    assert reveals_tax("total_score") and reveals_tax("land_tax_relief")
    for column in ("land_mu", "ind_va_per_mu", "score_va_per_energy", "grade", "rank", "surcharge"):
        assert not reveals_tax(column)


def test_an_aggregate_of_few_firms_or_one_dominant_firm_is_not_shown():
    assert disclosable(3, 100.0, 75.0)
    assert not disclosable(2, 100.0, 50.0)  # two firms: each knows the other's
    assert not disclosable(10, 100.0, 76.0)  # one firm pays most of it
    assert not disclosable(10, 0.0, 0.0) and not disclosable(None, None, None)


def _cell(firms: int, total: float, top: float) -> dict:
    return {"firms": firms, "tax_total": total, "tax_top": top}


def test_a_blank_cell_is_not_given_back_by_the_total_less_the_others():
    cells = [
        _cell(10, 1000.0, 950.0),
        _cell(20, 200.0, 30.0),
        _cell(30, 300.0, 40.0),
        _cell(5, 50.0, 20.0),
    ]
    # without the partition's total, only the dominated cell goes
    assert suppressed(cells, total_shown=False) == {0}
    # with it, the total less cells 1-3 would be cell 0: a second cell goes with it, the largest
    hidden = suppressed(cells, total_shown=True)
    assert 0 in hidden and len(hidden) >= 2
    together = [cells[i] for i in hidden]
    assert disclosable(
        sum(c["firms"] for c in together),
        sum(c["tax_total"] for c in together),
        max(c["tax_top"] for c in together),
    )
    # nothing to protect: nothing blank
    assert suppressed(cells[1:], total_shown=True) == set()
