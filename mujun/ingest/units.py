"""Units as Chinese tax and statistical forms write them, and the factor to the contract's unit.

The contract (design.md): money in 万元, area in m², energy in tce, electricity in kWh, emissions in
tonnes of pollutant equivalent, employees in persons, shares as fractions. A unit that is not listed
here is not guessed: the header is refused and the user asked to name it.
"""

from __future__ import annotations

import unicodedata

M2_PER_MU = 10000 / 15

# quantity → {unit as written (normalized) → factor to the contract unit}
UNITS: dict[str, dict[str, float]] = {
    "money": {
        "元": 1e-4,
        "人民币元": 1e-4,
        "千元": 0.1,
        "万元": 1.0,
        "万": 1.0,
        "十万元": 10.0,
        "百万元": 100.0,
        "千万元": 1000.0,
        "亿元": 1e4,
        "亿": 1e4,
    },
    "area": {
        "m2": 1.0,
        "m²": 1.0,
        "㎡": 1.0,
        "平方米": 1.0,
        "平米": 1.0,
        "平方": 1.0,
        "万平方米": 1e4,
        "万m2": 1e4,
        "万㎡": 1e4,
        "亩": M2_PER_MU,
        "公顷": 1e4,
        "ha": 1e4,
        "hm2": 1e4,
        "hm²": 1e4,
        "平方公里": 1e6,
        "平方千米": 1e6,
        "km2": 1e6,
        "km²": 1e6,
    },
    "energy": {
        "tce": 1.0,
        "吨标准煤": 1.0,
        "吨标煤": 1.0,
        "t标准煤": 1.0,
        "t标煤": 1.0,
        "吨": 1.0,
        "kgce": 1e-3,
        "千克标准煤": 1e-3,
        "千克标煤": 1e-3,
        "公斤标准煤": 1e-3,
        "公斤标煤": 1e-3,
        "万吨标准煤": 1e4,
        "万吨标煤": 1e4,
        "万tce": 1e4,
    },
    "electricity": {
        "kwh": 1.0,
        "千瓦时": 1.0,
        "度": 1.0,
        "万kwh": 1e4,
        "万千瓦时": 1e4,
        "万度": 1e4,
        "mwh": 1e3,
        "兆瓦时": 1e3,
        "亿kwh": 1e8,
        "亿千瓦时": 1e8,
        "亿度": 1e8,
    },
    "emissions": {
        "吨": 1.0,
        "t": 1.0,
        "吨当量": 1.0,
        "当量吨": 1.0,
        "污染当量吨": 1.0,
        "千克": 1e-3,
        "kg": 1e-3,
        "公斤": 1e-3,
        "万吨": 1e4,
    },
    "persons": {"人": 1.0, "名": 1.0, "个": 1.0},
    "fraction": {"%": 0.01, "百分比": 0.01, "比例": 1.0, "比值": 1.0, "‰": 0.001},
}

CONTRACT_UNIT = {
    "money": "万元",
    "area": "m²",
    "energy": "tce",
    "electricity": "kWh",
    "emissions": "t",
    "persons": "人",
    "fraction": "比值",
}


def normalize_unit(text: str) -> str:
    """Full-width to half-width, no spaces, ASCII lower-case; 'm^2' and 'm2' alike."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return text.replace(" ", "").replace("^", "").replace("·", "").replace("/年", "")


_NORMALIZED = {q: {normalize_unit(u): f for u, f in table.items()} for q, table in UNITS.items()}


def factor(quantity: str, unit: str) -> float | None:
    """The factor from `unit` to the contract's unit for `quantity`, or None if unknown."""
    return _NORMALIZED[quantity].get(normalize_unit(unit))


def known_units(quantity: str) -> str:
    """The units accepted for a quantity, for error messages."""
    return "、".join(UNITS[quantity])
