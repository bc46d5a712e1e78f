"""The indicators (step 5 of domain.md): each a ratio of two additive quantities.

Because every indicator is numerator ÷ denominator of amounts that add up over firms, the same
definitions serve firms, parcels (sums over occupants) and aggregate-ratio benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    id: str
    numerator: str
    denominator: str
    name_zh: str
    unit: str


INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in (
        Indicator("tax_per_mu", "adjusted_tax", "land_mu", "亩均税收", "万元/亩"),
        Indicator("va_per_mu", "value_added", "land_mu", "亩均增加值", "万元/亩"),
        Indicator("va_per_energy", "value_added", "energy_tce", "单位能耗增加值", "万元/吨标煤"),
        Indicator("va_per_emission", "value_added", "emissions_eq", "单位排放增加值", "万元/吨"),
        Indicator("labour_productivity", "value_added", "employees", "全员劳动生产率", "万元/人"),
        Indicator("rd_intensity", "rd_expense", "revenue", "R&D经费支出占营业收入比", "比值"),
        Indicator("revenue_per_mu", "revenue", "land_mu", "亩均营业收入", "万元/亩"),
        Indicator("output_per_mu", "output", "land_mu", "亩均产值", "万元/亩"),
        Indicator(
            "tax_per_kwh", "adjusted_tax", "electricity_10k_kwh", "单位用电税收", "万元/万千瓦时"
        ),
    )
}
"""Every indicator a preset may use. `electricity_10k_kwh` is electricity_kwh ÷ 10,000."""
