"""One year's whole evaluation (domain.md, "The evaluation, step by step"), as pure Polars.

`evaluate(dataset, year, methodology)` returns an `Evaluation`: the output frame of design.md (one
row per enterprise with an annual row — none dropped), the parcel view, and the intermediate frames
(land allocation, benchmarks, detail with every numerator and denominator), with the hashes of the
inputs and of the methodology, so that every published number can be traced to rows and rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from mujun.dataset import Dataset
from mujun.engine.errors import EngineError
from mujun.engine.exemptions import NEW_GROUNDS, applications, past_due
from mujun.engine.grading import list_grade_expr, rank_expr, worse
from mujun.engine.indicators import INDICATORS
from mujun.engine.land import allocate, enterprise_land, main_parcel
from mujun.engine.methodology import Methodology
from mujun.engine.parcels import parcel_view
from mujun.engine.policy import land_tax_relief, levers, rd_test, surcharge
from mujun.engine.scoring import BENCHMARK_SCHEMA, cap_shares, score_group, value_expr
from mujun.engine.tax import TERMS, adjusted_tax, counted_terms
from mujun.engine.vetoes import veto_reasons

LISTS = ("above", "below", "below_small", "tenant")
STATUSES = ("evaluated", "exempt", "vetoed", "no_land", "no_data")

CONTRACT_HEAD = (
    "uscc",
    "name",
    "year",
    "group",
    "list",
    "division_code",
    "industry_code",
    "land_mu",
    "tax_paid",
    "adjusted_tax",
)
CONTRACT_TAIL = ("total_score", "grade", "status", "reason", "rank")
EXTRAS = (
    "own_land_mu",
    "vacant_mu",
    "landlord",
    "bonus",
    "deduction",
    "own_grade",
    "parcel_grade",
    "main_parcel",
    "rd_test",
    "surcharge_rate",
    "surcharge",
    "surcharge_refund",
    "industry_tax_per_mu",
    "land_tax_relief_share",
    "land_tax_relief",
    "benchmark_class",
    *(f"tax_{term}" for term, _ in TERMS),
)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A year's result and everything needed to trace it."""

    year: int
    methodology: Methodology
    methodology_hash: str
    dataset: Dataset = field(repr=False)
    enterprises: pl.DataFrame
    """The published output: design.md's columns, then the extras (EXTRAS)."""
    parcels: pl.DataFrame
    allocation: pl.DataFrame
    benchmarks: pl.DataFrame
    detail: pl.DataFrame = field(repr=False)
    """Every column computed for each enterprise (numerators, denominators, per-firm benchmarks)."""

    @property
    def input_hash(self) -> str:
        """SHA-256 of the input dataset (computed once, when first asked for)."""
        return self.dataset.fingerprint()

    def at_cap(self) -> pl.DataFrame:
        """Per list and indicator, the evaluated firms at the preset's cap (none without a cap)."""
        m = self.methodology
        specs = {g: spec.indicators for g, spec in m.groups.items()}
        return cap_shares(self.enterprises, specs, m.scoring.cap)


def output_columns(methodology: Methodology) -> list[str]:
    ids = methodology.indicator_ids()
    return [
        *CONTRACT_HEAD,
        *[f"ind_{i}" for i in ids],
        *[f"score_{i}" for i in ids],
        *CONTRACT_TAIL,
        *EXTRAS,
        *[f"bm_{i}" for i in ids],
        *[f"lever_{lever.id}" for lever in methodology.policy.levers],
    ]


def _valid_in(year: int) -> pl.Expr:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (pl.col("valid_from") <= end) & (
        pl.col("valid_to").is_null() | (pl.col("valid_to") >= start)
    )


def _events(ds: Dataset, year: int, m: Methodology) -> pl.DataFrame:
    """Per enterprise: veto kinds, exempting events, deduction points and their notes in `year`."""
    points = {d.event: d.points for d in m.deductions}
    events = ds.events.filter(pl.col("year") == year).sort("kind")
    kind = pl.col("kind")
    return events.group_by("uscc", maintain_order=True).agg(
        kind.filter(kind.is_in(m.vetoes)).str.join(", ").alias("_veto"),
        kind.filter(kind.is_in(m.exemptions.events)).str.join(", ").alias("_exempt_event"),
        kind.replace_strict(points, default=0.0, return_dtype=pl.Float64).sum().alias("deduction"),
        pl.format("{} −{}", kind, kind.replace_strict(points, default=None, return_dtype=pl.String))
        .filter(kind.is_in(list(points)))
        .str.join(", ")
        .alias("_deduction_note"),
    )


def _bonuses(ds: Dataset, year: int, m: Methodology) -> pl.DataFrame:
    points = {b.qualification: b.points for b in m.bonuses}
    held = (
        ds.qualifications.filter(_valid_in(year) & pl.col("kind").is_in(list(points)))
        .select("uscc", "kind")
        .unique()
        .sort("uscc", "kind")
    )
    return held.group_by("uscc", maintain_order=True).agg(
        pl.col("kind").replace_strict(points, return_dtype=pl.Float64).sum().alias("bonus"),
        pl.format(
            "{} +{}", pl.col("kind"), pl.col("kind").replace_strict(points, return_dtype=pl.String)
        )
        .str.join(", ")
        .alias("_bonus_note"),
    )


def _confirmed_land(land: pl.DataFrame, ds: Dataset, year: int) -> pl.DataFrame:
    """The firms' land, a confirmed area (land_confirmations, 用地面积确认) in place of the area
    the parcels and leases allocate; `_allocated_mu` keeps the allocated one for the reason."""
    confirmed = ds.land_confirmations.filter(pl.col("year") == year).select(
        "uscc", pl.col("land_mu").alias("_confirmed_mu")
    )
    land = land.join(confirmed, on="uscc", how="full", coalesce=True, maintain_order="left")
    return land.with_columns(
        pl.when(pl.col("_confirmed_mu").is_not_null())
        .then(pl.col("land_mu"))
        .alias("_allocated_mu"),
        pl.coalesce(pl.col("_confirmed_mu"), pl.col("land_mu")).alias("land_mu"),
    ).drop("_confirmed_mu")


def _new_land_owners(ds: Dataset, year: int, years: int) -> pl.DataFrame:
    """Owners all of whose land was granted fewer than `years` years before `year`."""
    recent = pl.col("granted_on").is_not_null() & (year - pl.col("granted_on").dt.year() < years)
    return (
        ds.parcels.group_by(pl.col("owner_uscc").alias("uscc"), maintain_order=True)
        .agg(recent.all().alias("_new_land"), pl.col("granted_on").max().alias("_granted"))
        .filter(pl.col("_new_land"))
    )


def _note(condition: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(text) if isinstance(text, str) else text)


def evaluate(
    ds: Dataset,
    year: int,
    methodology: Methodology,
    history: dict[int, pl.DataFrame] | None = None,
    benchmarks: pl.DataFrame | None = None,
) -> Evaluation:
    """Evaluate every enterprise with an annual row for `year`.

    `history` maps earlier years to frames of (uscc, grade) for the electricity surcharge's
    consecutive-years rule; when None, the earlier years the rule needs are evaluated here.
    `benchmarks`: score the firms against these (an earlier evaluation's `benchmarks`, the
    published ones) instead of the benchmarks of this data.
    """
    m = methodology
    if history is None and benchmarks is None:
        return evaluate_years(ds, [year], m)[year]
    if history is None:
        history = _look_back(ds, year, m, {})
    ds = ds.canonical()
    annual = ds.annual.filter(pl.col("year") == year)
    if annual.height == 0:
        have = ", ".join(str(y) for y in ds.years()) or "none"
        raise EngineError(f"no annual rows for {year} (years in the data: {have})")

    # 1–3. population, land, refined tax
    allocation = allocate(ds.parcels, ds.occupancy, year)
    land = _confirmed_land(enterprise_land(ds.parcels, allocation), ds, year)
    firms = (
        annual.join(
            ds.enterprises.select("uscc", "name", "industry_code", "division_code", "established"),
            on="uscc",
            how="left",
            maintain_order="left",
        )
        .join(land, on="uscc", how="left", maintain_order="left")
        .join(_events(ds, year, m), on="uscc", how="left", maintain_order="left")
        .join(_bonuses(ds, year, m), on="uscc", how="left", maintain_order="left")
        .join(
            _new_land_owners(ds, year, m.exemptions.new_land_years),
            on="uscc",
            how="left",
            maintain_order="left",
        )
        .join(main_parcel(allocation), on="uscc", how="left", maintain_order="left")
        .join(applications(ds, year), on="uscc", how="left", maintain_order="left")
        .join(past_due(ds, year), on="uscc", how="left", maintain_order="left")
        .with_columns(
            pl.col("land_mu", "vacant_mu", "own_land_mu", "bonus", "deduction")
            .cast(pl.Float64)
            .fill_null(0.0),
            pl.col("landlord", "_new_land").fill_null(False),
            pl.col("scale").alias("group"),
            pl.col("industry_code").str.slice(0, 2).alias("industry_division"),
            (pl.col("electricity_kwh") / 10_000).alias("electricity_10k_kwh"),
            adjusted_tax(m.tax),
            *counted_terms(m.tax),
        )
    )
    own = pl.col("own_land_mu")
    firms = firms.with_columns(
        pl.when(pl.col("group") == "above")
        .then(pl.lit("above"))
        .when(own >= m.population.min_own_land_mu)
        .then(pl.lit("below"))
        .when((own <= 0) & (pl.col("land_mu") > 0))
        .then(pl.lit("tenant"))
        .otherwise(pl.lit("below_small"))
        .alias("list")
    )

    # 2. exemptions and vetoes; missing data
    ex = m.exemptions
    age = year - pl.col("established").dt.year()
    firms = firms.with_columns(veto_reasons(m, year, pl.col("_veto")).alias("_veto"))
    # past its promised production date, a firm is no longer new (遂昌 2022)
    pulled = pl.lit(ex.past_due_evaluated) & pl.col("_due").is_not_null()
    new_application = pl.col("_application_ground").is_in(NEW_GROUNDS).fill_null(False)
    applied = pl.lit(ex.on_application) & pl.col("_application").is_not_null()
    lifted = pulled & (
        (age < ex.min_years_registered) | pl.col("_new_land") | (applied & new_application)
    )
    exempt_notes = [
        _note(
            (age < ex.min_years_registered) & ~pulled,
            pl.format(
                "registered {}, less than {} years before {} (成立不满{}年)",
                pl.col("established"),
                pl.lit(ex.min_years_registered),
                pl.lit(year),
                pl.lit(ex.min_years_registered),
            ),
        ),
        _note(
            pl.col("industry_division").is_in(ex.industry_divisions),
            pl.format("utility industry {} (公用事业)", pl.col("industry_code")),
        ),
        _note(
            pl.col("_exempt_event").fill_null("") != "",
            pl.format("{} in {} (政策性搬迁等)", pl.col("_exempt_event"), pl.lit(year)),
        ),
        _note(
            pl.col("_new_land") & ~pulled,
            pl.format(
                "all own land granted less than {} years ago (last {}) (新供地未满{}年)",
                pl.lit(ex.new_land_years),
                pl.col("_granted"),
                pl.lit(ex.new_land_years),
            ),
        ),
        _note(applied & ~(pulled & new_application), pl.col("_application")),
    ]
    firms = firms.with_columns(
        pl.concat_str(exempt_notes, separator="; ", ignore_nulls=True).alias("_exempt")
    )
    missing_notes = []
    for group, spec in m.groups.items():
        needed = sorted({INDICATORS[s.id].numerator for s in spec.indicators})
        source = {"adjusted_tax": "tax_paid"}
        for col in needed:
            missing_notes.append(
                _note(
                    (pl.col("group") == group) & pl.col(col).is_null(),
                    f"{source.get(col, col)} missing (缺少数据)",
                )
            )
        # a denominator missing or zero where the preset gives no average score: not scored
        for s in spec.indicators:
            if m.scoring.missing_rule(s.id) != "no_data":
                continue
            ind = INDICATORS[s.id]
            if ind.denominator == "land_mu":  # no land is its own status
                continue
            den = pl.col(ind.denominator)
            shown = {"electricity_10k_kwh": "electricity_kwh"}.get(ind.denominator, ind.denominator)
            missing_notes.append(
                _note(
                    (pl.col("group") == group)
                    & pl.col(ind.numerator).is_not_null()
                    & value_expr(s.id).is_null(),
                    pl.format(
                        "{} {}: {} cannot be computed (缺少数据，请核实)",
                        pl.lit(shown),
                        pl.when(den.is_null()).then(pl.lit("missing")).otherwise(pl.lit("is 0")),
                        pl.lit(s.id),
                    ),
                )
            )
    firms = firms.with_columns(
        pl.concat_str(missing_notes, separator="; ", ignore_nulls=True).alias("_missing")
    )
    vetoed = pl.col("_veto").fill_null("") != ""
    exempt = pl.col("_exempt") != ""
    no_land = pl.col("land_mu") <= 0
    no_data = pl.col("_missing") != ""
    firms = firms.with_columns(
        pl.when(vetoed)
        .then(pl.lit("vetoed"))
        .when(exempt)
        .then(pl.lit("exempt"))
        .when(no_land)
        .then(pl.lit("no_land"))
        .when(no_data)
        .then(pl.lit("no_data"))
        .otherwise(pl.lit("evaluated"))
        .alias("status"),
        (~exempt & ~no_land & ~no_data).alias("_scorable"),
    )

    # 5–6. indicators, benchmarks, scores — per group
    scored, tables = [], []
    for group, spec in m.groups.items():
        part, bm = score_group(
            firms.filter(pl.col("group") == group),
            spec.indicators,
            spec.method,
            m.scoring,
            year,
            group,
            spec.min_peers,
            spec.classes,
            None if benchmarks is None else benchmarks.filter(pl.col("group") == group),
        )
        scored.append(part)
        tables.append(bm)
    firms = pl.concat(scored, how="diagonal_relaxed")
    ids = m.indicator_ids()
    for i in ids:
        for prefix in ("ind_", "score_", "bm_"):
            if f"{prefix}{i}" not in firms.columns:
                firms = firms.with_columns(pl.lit(None, pl.Float64).alias(f"{prefix}{i}"))
    if "benchmark_class" not in firms.columns:
        firms = firms.with_columns(pl.lit(None, pl.String).alias("benchmark_class"))
    firms = firms.with_columns(
        pl.when(pl.col("_scorable"))
        .then(pl.col("score_sum") + pl.col("bonus") - pl.col("deduction"))
        .alias("total_score")
    )
    denominator_notes = []
    for group, spec in m.groups.items():
        for s in spec.indicators:
            den = INDICATORS[s.id].denominator
            shown = {"electricity_10k_kwh": "electricity_kwh"}.get(den, den)
            rule = (
                "group average score"
                if m.scoring.missing_rule(s.id) == "group_average"
                else "score 0"
            )
            denominator_notes.append(
                _note(
                    (pl.col("group") == group)
                    & pl.col("_scorable")
                    & pl.col(f"ind_{s.id}").is_null(),
                    pl.format(
                        "{} {}: {} used for {} (缺分母数据)",
                        pl.lit(shown),
                        pl.when(pl.col(den) == 0).then(pl.lit("is 0")).otherwise(pl.lit("missing")),
                        pl.lit(rule),
                        pl.lit(s.id),
                    ),
                )
            )

    # 7. own grades within each list; vetoes force D
    firms = firms.with_columns((pl.col("status") == "evaluated").alias("_gradable"))
    firms = firms.with_columns(
        pl.when(vetoed)
        .then(pl.lit("D"))
        .otherwise(list_grade_expr(m.grading, "total_score", "list", "_gradable"))
        .alias("own_grade")
    )

    # 3. the parcel view; landlords answer for their parcels; tenant policies
    parcels, parcel_bm = parcel_view(
        ds.parcels,
        allocation,
        firms.select(
            "uscc", "status", "industry_code", "adjusted_tax", "value_added", "revenue", "output"
        ),
        m,
        year,
    )
    tables.append(parcel_bm)
    worst = (
        parcels.filter(pl.col("grade").is_not_null())
        .sort("grade", "parcel_id", descending=[True, False])
        .group_by("owner_uscc", maintain_order=True)
        .first()
        .select(
            pl.col("owner_uscc").alias("uscc"),
            pl.col("grade").alias("parcel_grade"),
            pl.col("parcel_id").alias("_worst_parcel"),
        )
    )
    main = parcels.select(
        pl.col("parcel_id").alias("main_parcel"),
        pl.col("grade").alias("_main_grade"),
        pl.col("total_score").alias("_main_score"),
    )
    firms = firms.join(worst, on="uscc", how="left", maintain_order="left").join(
        main, on="main_parcel", how="left", maintain_order="left"
    )
    grade = pl.col("own_grade")
    evaluated = pl.col("status") == "evaluated"
    landlord_applies = evaluated & pl.col("landlord") & pl.lit(m.land.landlords_answer)
    lowered = landlord_applies & (worse(grade, pl.col("parcel_grade")) != grade)
    policy = m.land.tenant_policy
    tenant_takes = (
        evaluated
        & (pl.col("list") == "tenant")
        & pl.col("_main_grade").is_not_null()
        & pl.lit(policy in ("inherit", "merged"))
    )
    merged = (
        evaluated
        & pl.col("group").eq("below")
        & pl.col("_main_grade").is_not_null()
        & pl.lit(policy == "merged")
    )
    takes_parcel = tenant_takes | merged
    firms = firms.with_columns(
        pl.when(takes_parcel)
        .then(pl.col("_main_grade"))
        .when(landlord_applies)
        .then(worse(grade, pl.col("parcel_grade")))
        .otherwise(grade)
        .alias("grade"),
        pl.when(merged)
        .then(pl.col("_main_score"))
        .otherwise(pl.col("total_score"))
        .alias("total_score"),
    )
    policy_notes = [
        _note(
            lowered & ~takes_parcel,
            pl.format(
                "landlord: grade lowered from {} to {} by parcel {} (出租宗地，地企双评)",
                grade,
                pl.col("parcel_grade"),
                pl.col("_worst_parcel"),
            ),
        ),
        _note(
            takes_parcel,
            pl.format(
                "{} parcel {}'s grade {} (own result {}) ({})",
                pl.lit("shares" if policy == "merged" else "takes"),
                pl.col("main_parcel"),
                pl.col("_main_grade"),
                grade,
                pl.lit("同宗地合并评价" if policy == "merged" else "承租企业随宗地评价"),
            ),
        ),
    ]

    # 8–9. R&D test and policy amounts
    firms = firms.with_columns(
        rd_test(m.rd_test), rank_expr("grade", "total_score", "list").alias("rank")
    )
    stacked = (
        ds.events.filter(
            (pl.col("year") == year)
            & pl.col("kind").is_in(m.policy.electricity_surcharge.not_with_events)
        )
        .get_column("uscc")
        .unique()
    )
    firms = surcharge(firms, m.policy.electricity_surcharge, history, year, stacked)
    firms = land_tax_relief(firms, m.policy.land_tax_relief)
    firms = levers(firms, m.policy.levers)

    status_note = (
        pl.when(vetoed)
        .then(pl.format("vetoed: {} (一票否决)", pl.col("_veto")))
        .when(exempt)
        .then(pl.format("exempt: {}", pl.col("_exempt")))
        .when(no_land)
        .then(pl.lit(f"no land in {year}: owns and occupies no parcel (无用地)"))
        .when(no_data)
        .then(pl.col("_missing"))
    )
    scorable = pl.col("_scorable")
    confirmed_note = _note(
        pl.col("_allocated_mu").is_not_null(),
        pl.format(
            "land confirmed at {} 亩 (allocated {}) (用地面积确认)",
            pl.col("land_mu").round(4),
            pl.col("_allocated_mu").fill_null(0.0).round(4),
        ),
    )
    firms = firms.with_columns(
        pl.concat_str(
            [
                status_note,
                confirmed_note,
                _note(
                    lifted,
                    pl.format(
                        "past its promised production date {}: not exempt as new "
                        "(超过约定投产日期，纳入评价)",
                        pl.col("_due"),
                    ),
                ),
                *denominator_notes,
                _note(
                    scorable & (pl.col("_bonus_note").fill_null("") != ""),
                    pl.format("bonus {}", pl.col("_bonus_note")),
                ),
                _note(
                    scorable & (pl.col("_deduction_note").fill_null("") != ""),
                    pl.format("deduction {}", pl.col("_deduction_note")),
                ),
                *policy_notes,
            ],
            separator="; ",
            ignore_nulls=True,
        ).alias("reason"),
        pl.lit(year, pl.Int64).alias("year"),
    )
    output = firms.select(output_columns(m))
    return Evaluation(
        year=year,
        methodology=m,
        methodology_hash=m.digest(),
        dataset=ds,
        enterprises=output,
        parcels=parcels,
        allocation=allocation,
        benchmarks=pl.concat(tables).cast(BENCHMARK_SCHEMA),
        detail=firms,
    )


def published_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows as a published list reads: by list (above, below, below_small, tenant), rank, USCC.
    The engine's own order is already fixed (by key); this is for people, done when writing."""
    order = {name: i for i, name in enumerate(LISTS)}
    return frame.sort(
        pl.col("list").replace_strict(order, return_dtype=pl.Int64),
        pl.col("rank"),
        pl.col("uscc"),
        nulls_last=True,
    )


def _look_back(
    ds: Dataset, year: int, methodology: Methodology, history: dict[int, pl.DataFrame]
) -> dict[int, pl.DataFrame]:
    """Fill `history` with the earlier years' (uscc, grade) the surcharge's rule needs for `year`."""
    cfg = methodology.policy.electricity_surcharge
    lookback = cfg.repeat_years - 1 if cfg.enabled else 0
    available = set(ds.years())
    for y in range(year - lookback, year):
        if y not in history and y in available:
            history[y] = evaluate(ds, y, methodology, history).enterprises.select("uscc", "grade")
    return history


def evaluate_years(
    ds: Dataset, years: list[int], methodology: Methodology, on_year=None
) -> dict[int, Evaluation]:
    """Evaluate several years in order, each year's grades feeding the next years' surcharge rule.
    `on_year(year)` is called after each year (for progress bars)."""
    history: dict[int, pl.DataFrame] = {}
    results = {}
    for year in sorted(years):
        _look_back(ds, year, methodology, history)
        result = evaluate(ds, year, methodology, history)
        history[year] = result.enterprises.select("uscc", "grade")
        results[year] = result
        if on_year is not None:
            on_year(year)
    return results
