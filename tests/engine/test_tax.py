"""Refined tax: the 出口退税 term (慈溪/宁波 count 税费实际贡献 with export refunds), and each term as
counted beside tax_paid and adjusted_tax. Two firms on 10 mu each, numbers by hand."""

from __future__ import annotations

import pytest
from factory import M2_PER_MU, build, uscc
from test_vetoes import method, rows

from mujun.reports.disclosure import Audience


def two_firms():
    return build(
        enterprises=[{"uscc": uscc(1)}, {"uscc": uscc(2)}],
        annual=[
            {"uscc": uscc(1), "tax_paid": 100.0, "export_refund": 50.0, "vat_refund": 10.0},
            {"uscc": uscc(2), "tax_paid": 100.0, "one_off_tax": 20.0},
        ],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 10 * M2_PER_MU,
                "floor_area_m2": 1.0,
            }
            for n in (1, 2)
        ],
    )


def test_export_refunds_are_counted_when_the_preset_says_so():
    m = method(tax={"export_refund": True, "one_off_tax": False})
    r = rows(two_firms(), m)
    one, two = r[uscc(1)], r[uscc(2)]
    assert (one["tax_paid"], one["adjusted_tax"]) == (100, 160)  # + 50 出口退税 + 10 留抵退税
    assert (two["tax_paid"], two["adjusted_tax"]) == (100, 100)  # one-off tax not subtracted
    assert (one["tax_export_refund"], one["tax_vat_refund"]) == (50, 10)
    assert two["tax_export_refund"] == 0 and two["tax_one_off_tax"] is None  # off: not counted
    # benchmark (160 + 100) / 20 mu = 13
    assert one["score_tax_per_mu"] == pytest.approx(100 * 16 / 13)


def test_by_default_export_refunds_are_not_counted_and_one_off_tax_is_subtracted():
    r = rows(two_firms(), method())
    assert r[uscc(1)]["adjusted_tax"] == 110 and r[uscc(1)]["tax_export_refund"] is None
    assert r[uscc(2)]["adjusted_tax"] == 80 and r[uscc(2)]["tax_one_off_tax"] == -20


def test_the_terms_are_hidden_from_a_reader_without_tax_access():
    from mujun.engine import evaluate

    out = evaluate(two_firms(), 2022, method(tax={"export_refund": True})).enterprises
    assert "tax_export_refund" in out.columns
    assert not [c for c in Audience(tax=False).enterprises(out).columns if c.startswith("tax_")]
