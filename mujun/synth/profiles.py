"""The numbers behind the synthetic district: sectors, ratios, Zhenhai's geography, name parts.

Calibrated to Zhenhai's public figures (docs/synth-calibration.md; the targets and their bands are
mujun.synth.calibration.TARGETS): 规上 output 2507亿 and value added 652亿 (2019), 713.5亿 (2021),
R&D 41.7亿 (2021), 284 firms failing the R&D test (2019), about 4.2 规下 firms per 规上 firm, a median
全员劳动生产率 of 16–20 万元 per head, next to no firm on 3 亩 or more under 4 万元/亩 by 2022. Where
nothing is published, our judgement (../shared/data/calibration_facts.md): ordinary above-scale
manufacturing about 30 万元 tax and 100–150 万元 value added per 亩, petrochemicals about two thirds
of above-scale output, value added per tonne of pollutant equivalent in the thousands of 万元
(黄岩's benchmark is 4929.81), about 0.25 万元 tax per 万kWh for ordinary firms.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL_SIZE = 4500
"""Enterprises in a "full size" district, Zhenhai itself: a refinery over 1000亿元 output, three
chemical majors, about 500–650 规上 firms and 4.2 规下 firms for each in a year (the rest of the 4,500
come and go over the years). Zhenhai's firm count is not published; this follows from 464 规上 firms
in its 17 old parks alone and 海曙's 4.2 : 1 (docs/synth-calibration.md).

Smaller districts are Zhenhai shrunk: one refinery scaled down by n / FULL_SIZE (and fewer majors),
so district totals scale with the number of firms; larger ones have one refinery and three majors
per full size."""

GIANTS_PER_FULL_SIZE = 4
REFINERY_OUTPUT = 1.12e7
"""万元 (1120亿元): the refinery's output at full size (1 to 1.1 times this)."""
MAJORS_MIN_SHARE = 0.25
"""The chemical majors together make at least this share of the refineries' output."""
MAJOR_PATTERN = (0.2, 0.12, 0.08)
"""Relative output of the chemical majors of one full-size block."""
MAJOR_CLASSES = ("2614", "2651", "2653")
"""有机化学原料; 初级形态塑料及合成树脂; 合成纤维单（聚合）体 (the refinery is 2511 原油加工)."""

PETROCHEM_DIVISIONS = ("25", "26", "28")
"""GB/T 4754 divisions counted as petrochemicals (石油加工, 化学原料和化学制品, 化学纤维)."""

PETROCHEM_SHARE = (0.64, 0.70)
"""Range of the petrochemical share of above-scale output aimed at (Zhenhai: about 65 %)."""

FIRST_YEAR = 1979
"""No synthetic date or year goes earlier (the dataset refuses years before 1978)."""
LAST_DAY = 323
"""Synthetic dates fall on day 0..323 of their year (1 Jan – 20 Nov), never in December, so a
dataset for the current year holds no date in the future."""

SCALE_THRESHOLD = 2000.0
"""规上: main business revenue of at least 2000 万元."""

# Archetypes: how a firm holds land. The published list follows from scale and land each year.
GIANT, UTILITY, ABOVE, BELOW, SMALL, TENANT = range(6)

SHARE_ABOVE = 0.09
"""Owners of 8–300 亩 that are normally above scale."""
ABOVE_LAND_MU = (66.0, 40.0)
"""Median land (亩) of an above-scale owner: chemical, other. Zhejiang's 规上 firms average about
30 亩 (2021: 规上 value added ÷ 135.7 万元/亩); Zhenhai's non-petrochemical 规上 output (2507亿
less about 1630亿 of petrochemicals, 2019–2020) on about 500 firms needs somewhat larger ones."""
SHARE_BELOW = 0.28
"""Below-scale owners of 3–15 亩."""
SHARE_TENANT = 0.42
"""Firms with no land of their own (the rest, 1–3 亩 owners, fill up to the requested count)."""
SHARE_UTILITY = 0.002

LOW_EFFICIENCY_MIN_MU = 3.0
LOW_EFFICIENCY_TAX_PER_MU = 4.0
"""镇海's low-efficiency firm: on 3 亩 or more, under 4 万元/亩 亩均税收 (浙江日报 2022-12-21)."""
RECTIFICATION_YEARS = (2019, 2022)
"""Zhenhai's campaign: 275 such firms rectified 2019–2022, "基本出清" by 2022 (same source)."""
RECTIFICATION_MARGIN = (1.3, 2.5)
"""A rectified firm ends at this many times the 4 万元 floor (expected tax, before yearly noise)."""

LOW_RD_OUTPUT = 25_000.0
"""万元 of output at which an above-scale owner is as likely as not to do little R&D (2–30 % of
its sector's intensity); smaller ones more often, larger ones less (odds ∝ 1 ÷ output). With
them about half of the 规上 firms fail Zhenhai's R&D test, as 284 did in 2019, while the large
firms carry the district's R&D (41.7亿 in 2021)."""


@dataclass(frozen=True)
class Sector:
    name: str
    classes: tuple[tuple[str, float], ...]
    """GB/T 4754-2017 classes with their weights."""
    words: tuple[str, ...]
    """Words for the enterprise name (宁波镇海XX<word>有限公司)."""
    output_per_mu: float
    """Output (万元) per 亩 of an ordinary above-scale firm."""
    va_ratio: float
    """Value added ÷ output."""
    tax_va: float
    """Tax paid ÷ value added."""
    energy: float
    """tce per 万元 of output."""
    va_per_emission: float
    """Value added (万元) per tonne of pollutant equivalent."""
    output_per_employee: float
    """万元 per head."""
    rd: float
    """R&D expense ÷ revenue."""
    tax_per_10k_kwh: float
    """Tax (万元) per 万kWh of electricity."""
    export: float
    """Share of firms that export."""
    divisions: tuple[float, ...]
    """Weights over the seven divisions, in DIVISIONS order."""


SECTORS: tuple[Sector, ...] = (
    Sector(
        name="refining",
        classes=(("2511", 1.0),),
        words=("石化", "炼化"),
        output_per_mu=1500.0,
        va_ratio=0.27,
        tax_va=0.6,
        energy=0.25,
        va_per_emission=800.0,
        output_per_employee=3000.0,
        rd=0.005,
        tax_per_10k_kwh=3.0,
        export=0.2,
        divisions=(0, 0.2, 0, 0, 0, 0.8, 0),
    ),
    Sector(
        name="petrochem_major",
        classes=(("2614", 0.4), ("2651", 0.3), ("2653", 0.2), ("2652", 0.1)),
        words=("石化", "化学", "化工", "新材料"),
        output_per_mu=1100.0,
        va_ratio=0.22,
        tax_va=0.25,
        energy=0.3,
        va_per_emission=600.0,
        output_per_employee=2000.0,
        rd=0.018,
        tax_per_10k_kwh=1.0,
        export=0.2,
        divisions=(0, 0.4, 0, 0, 0, 0.6, 0),
    ),
    Sector(
        name="chemical",
        classes=(
            ("2614", 0.18),
            ("2651", 0.12),
            ("2661", 0.15),
            ("2662", 0.1),
            ("2669", 0.1),
            ("2641", 0.08),
            ("2619", 0.07),
            ("2613", 0.05),
            ("2659", 0.06),
            ("2631", 0.04),
            ("2822", 0.05),
        ),
        words=("化工", "化学", "精细化工", "新材料", "化学科技", "石化"),
        output_per_mu=900.0,
        va_ratio=0.22,
        tax_va=0.3,
        energy=0.15,
        va_per_emission=1200.0,
        output_per_employee=250.0,
        rd=0.022,
        tax_per_10k_kwh=0.5,
        export=0.3,
        divisions=(0.04, 0.36, 0.02, 0.02, 0.04, 0.52, 0.0),
    ),
    Sector(
        name="materials",
        classes=(
            ("2921", 0.15),
            ("2922", 0.12),
            ("2929", 0.1),
            ("3062", 0.08),
            ("3091", 0.1),
            ("3240", 0.1),
            ("3251", 0.1),
            ("3252", 0.1),
            ("3099", 0.05),
            ("3073", 0.1),
        ),
        words=("新材料", "材料科技", "复合材料", "高分子材料", "塑业", "金属材料"),
        output_per_mu=660.0,
        va_ratio=0.25,
        tax_va=0.25,
        energy=0.08,
        va_per_emission=4000.0,
        output_per_employee=120.0,
        rd=0.037,
        tax_per_10k_kwh=0.25,
        export=0.3,
        divisions=(0.06, 0.25, 0.2, 0.15, 0.1, 0.14, 0.1),
    ),
    Sector(
        name="machinery",
        classes=(
            ("3444", 0.15),
            ("3451", 0.12),
            ("3443", 0.08),
            ("3441", 0.06),
            ("3484", 0.12),
            ("3482", 0.06),
            ("3421", 0.04),
            ("3525", 0.08),
            ("3521", 0.05),
            ("3311", 0.06),
            ("3391", 0.04),
            ("3393", 0.04),
            ("3670", 0.1),
            ("3453", 0.04),
            ("3491", 0.02),
            ("3332", 0.04),
        ),
        words=(
            "机械",
            "机械制造",
            "液压",
            "轴承",
            "精密机械",
            "模具",
            "传动",
            "阀门",
            "泵业",
            "装备",
            "机电",
        ),
        output_per_mu=520.0,
        va_ratio=0.28,
        tax_va=0.24,
        energy=0.03,
        va_per_emission=8000.0,
        output_per_employee=65.0,
        rd=0.037,
        tax_per_10k_kwh=0.28,
        export=0.4,
        divisions=(0.08, 0.3, 0.17, 0.1, 0.12, 0.1, 0.13),
    ),
    Sector(
        name="electrical",
        classes=(
            ("3811", 0.08),
            ("3812", 0.1),
            ("3813", 0.1),
            ("3821", 0.1),
            ("3823", 0.15),
            ("3831", 0.15),
            ("3841", 0.1),
            ("3825", 0.05),
            ("3872", 0.06),
            ("3857", 0.05),
            ("3899", 0.06),
        ),
        words=("电气", "电器", "电机", "电缆", "新能源", "电力设备", "照明"),
        output_per_mu=620.0,
        va_ratio=0.25,
        tax_va=0.24,
        energy=0.025,
        va_per_emission=9000.0,
        output_per_employee=90.0,
        rd=0.037,
        tax_per_10k_kwh=0.3,
        export=0.45,
        divisions=(0.1, 0.25, 0.2, 0.15, 0.1, 0.08, 0.12),
    ),
    Sector(
        name="electronics",
        classes=(
            ("3973", 0.12),
            ("3972", 0.08),
            ("3976", 0.08),
            ("3974", 0.04),
            ("3982", 0.12),
            ("3981", 0.1),
            ("3983", 0.08),
            ("3985", 0.1),
            ("3562", 0.06),
            ("3569", 0.04),
            ("4011", 0.08),
            ("3914", 0.05),
            ("4028", 0.05),
        ),
        words=("电子", "微电子", "光电", "电子科技", "半导体", "芯片科技", "智能科技", "传感科技"),
        output_per_mu=720.0,
        va_ratio=0.3,
        tax_va=0.22,
        energy=0.02,
        va_per_emission=10000.0,
        output_per_employee=75.0,
        rd=0.057,
        tax_per_10k_kwh=0.3,
        export=0.5,
        divisions=(0.12, 0.15, 0.33, 0.3, 0.04, 0.02, 0.04),
    ),
    Sector(
        name="light",
        classes=(
            ("1819", 0.1),
            ("1713", 0.05),
            ("2231", 0.1),
            ("2319", 0.1),
            ("2110", 0.08),
            ("1495", 0.05),
            ("2927", 0.12),
            ("3399", 0.12),
            ("3360", 0.08),
            ("3351", 0.08),
            ("3021", 0.06),
            ("3022", 0.06),
        ),
        words=(
            "服饰",
            "纺织",
            "包装",
            "印务",
            "家具",
            "食品",
            "塑料制品",
            "金属制品",
            "五金",
            "建材",
        ),
        output_per_mu=420.0,
        va_ratio=0.26,
        tax_va=0.22,
        energy=0.04,
        va_per_emission=5000.0,
        output_per_employee=45.0,
        rd=0.015,
        tax_per_10k_kwh=0.2,
        export=0.5,
        divisions=(0.15, 0.2, 0.18, 0.15, 0.12, 0.08, 0.12),
    ),
    Sector(
        name="utility",
        classes=(("4411", 0.25), ("4412", 0.25), ("4430", 0.15), ("4610", 0.2), ("4620", 0.15)),
        words=("热电", "发电", "水务", "能源", "环保"),
        output_per_mu=250.0,
        va_ratio=0.3,
        tax_va=0.25,
        energy=1.5,
        va_per_emission=400.0,
        output_per_employee=400.0,
        rd=0.003,
        tax_per_10k_kwh=0.05,
        export=0.0,
        divisions=(0.15, 0.3, 0.1, 0.1, 0.05, 0.25, 0.05),
    ),
)
REFINING, PETROCHEM_MAJOR, CHEMICAL, MATERIALS, MACHINERY, ELECTRICAL, ELECTRONICS, LIGHT, UTIL = (
    range(len(SECTORS))
)
TECH_SECTORS = (MATERIALS, MACHINERY, ELECTRICAL, ELECTRONICS, CHEMICAL)
"""Sectors whose firms collect sci-tech qualifications."""

# Sector mix by archetype (over SECTORS; giants and utilities are fixed).
SECTOR_MIX: dict[int, tuple[float, ...]] = {
    ABOVE: (0, 0, 0.14, 0.10, 0.34, 0.12, 0.12, 0.18, 0),
    BELOW: (0, 0, 0.05, 0.10, 0.38, 0.10, 0.07, 0.30, 0),
    SMALL: (0, 0, 0.02, 0.08, 0.40, 0.10, 0.08, 0.32, 0),
    TENANT: (0, 0, 0, 0.08, 0.40, 0.12, 0.15, 0.25, 0),
}

# Zhenhai's divisions (9-digit codes) and a box inside the district's real extent for each.
EXTENT = (121.53, 121.77, 29.93, 30.06)
"""lon_min, lon_max, lat_min, lat_max of the district (roughly)."""
DIVISIONS = (
    "330211001",  # 招宝山街道: old town at the Yongjiang estuary, east
    "330211002",  # 蛟川街道: 镇海经济开发区 and the south of the petrochemical park
    "330211003",  # 骆驼街道: centre, 甬江科创区
    "330211004",  # 庄市街道: south-west, universities, 甬江芯谷
    "330211005",  # 贵驷街道: north centre
    "330211100",  # 澥浦镇: north, the petrochemical park
    "330211101",  # 九龙湖镇: north-west
)
DIVISION_BOXES = (
    (121.700, 121.765, 29.935, 29.975),
    (121.650, 121.720, 29.960, 30.010),
    (121.575, 121.640, 29.960, 29.995),
    (121.545, 121.620, 29.934, 29.962),
    (121.620, 121.680, 29.990, 30.030),
    (121.600, 121.700, 30.012, 30.057),
    (121.535, 121.600, 29.996, 30.055),
)
JIAOCHUAN, LUOTUO, ZHUANGSHI, XIEPU = 1, 2, 3, 5

ZONE_PETROCHEM = "宁波石化经济技术开发区"
ZONE_ETDZ = "镇海经济开发区"
ZONE_SCI = "甬江科创区"
ZONE_CHIPS = "甬江芯谷"

# Enterprise names: prefix + trade name (字号) + sector word + form.
NAME_PREFIXES = ("宁波", "宁波镇海", "浙江", "镇海")
NAME_PREFIX_WEIGHTS = (0.45, 0.30, 0.10, 0.15)
TRADE_FIRST = (
    "华金恒宏海甬永立正东新天盛鑫裕嘉瑞博泰亿联中信国安达富康丰兴隆顺明光科德晨创力远峰宇宁江浙"
    "蛟银汇通合展鸿辰星凯锐腾飞骏昊卓越昌荣伟豪诚久长元亚欧美环宝利晟祥福鼎浩润乾坤佳旭耀辉升阳"
)
TRADE_SECOND = (
    "华达泰丰盛源通力诚信和祥瑞发兴隆昌鑫宇航恒晟科新立远成茂胜利宏德安邦帆洲港湾峰海江林森川"
    "龙腾凯翔锋锐捷奥斯特普威迪克雅伦邦鼎昊铭泽润华杰楷越博欣悦嘉晨曦晖耀"
)
FORMS = ("有限公司", "股份有限公司")

EVENT_NOTES = {
    "safety_fatal": "发生生产安全责任事故，造成人员死亡",
    "env_major": "重大环境违法行为（超标排放被立案查处）",
    "tax_dishonest": "纳税信用评价为D级（重大税收违法失信）",
    "env_minor": "一般环境违法行为，受到行政处罚",
    "safety_minor": "安全生产隐患整改不力，受到行政处罚",
    "relocation": "列入政策性搬迁计划",
}
VETO_KINDS = ("safety_fatal", "env_major", "tax_dishonest")

TALENT_LEVELS = ("A", "B", "C", "D", "E")
"""Ningbo's talent classes: A 顶尖, B 特优, C 领军, D 拔尖, E 高级."""
