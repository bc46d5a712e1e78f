"""Land pages (issue 5): the low-efficiency land inventory (低效用地) with its map layer, industry
access screening of a new project (产业准入), and the commitment check (达产复核). The figures are
mujun.engine's (lowland, access, commitments) over the published runs; analysts and land officers
see the district, street officers their own division."""

from __future__ import annotations

import polars as pl
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from mujun.engine import access as engine_access
from mujun.engine.commitments import check_commitments
from mujun.engine.lowland import TAX_BASED, land_inventory
from mujun.web import selectors, services
from mujun.web.models import Enterprise, Role
from mujun.web.roles import role_of, scope_frame, shows_tax
from mujun.web.views import need, published_year

CATEGORY_NAMES = {
    "approved_not_supplied": "批而未供",
    "supplied_not_used": "供而未用",
    "partly_used": "用而未尽",
    "built_not_producing": "建而未投",
    "producing_below_standard": "投而未达标",
    "idle_past_start": "逾期未开工（闲置）",
    "rented_low_tax": "出租低效（计入业主）",
}
VERDICT_NAMES = {"admitted": "准入", "conditional": "有条件准入", "refused": "不予准入"}


def _evaluations(runs: dict, year: int) -> dict:
    """The published evaluations of `year` and the years before it (cached per process)."""
    return {y: services.evaluation_of(r) for y, r in runs.items() if y <= year}


def inventory(year: int, runs: dict):
    run = runs[year]
    m = services.methodology_of(run.preset)
    return land_inventory(_evaluations(runs, year), year, m.lowland)


def flagged(user, year: int) -> dict[str, str]:
    """parcel_id → category of the year's flagged parcels the user may see (the map layer)."""
    if not user.has_perm("mujun.view_land"):
        return {}
    runs = selectors.published_runs()
    if year not in runs:
        return {}
    parcels = scope_frame(user, inventory(year, runs).parcels)
    return dict(zip(parcels["parcel_id"], parcels["category"], strict=True))


def _without_tax(parcels: pl.DataFrame, redact: pl.Expr = pl.lit(True)) -> pl.DataFrame:
    """The inventory for a reader without tax access (or the `redact` rows of it): no parcel's
    tax, and no freeable land or figures where the category is set by tax (the freeable part gives
    亩均税收 back)."""
    by_tax = redact & pl.col("category").is_in(list(TAX_BASED))
    return parcels.with_columns(
        pl.when(redact).then(None).otherwise(pl.col("tax_per_mu")).alias("tax_per_mu"),
        pl.when(by_tax).then(None).otherwise(pl.col("freeable_mu")).alias("freeable_mu"),
        pl.when(by_tax).then(pl.lit(_TAX_HIDDEN)).otherwise(pl.col("reason")).alias("reason"),
    )


_TAX_HIDDEN = "亩均税收低于标准（具体数额仅向经信局和所在镇街显示）"


def _totals(parcels: pl.DataFrame) -> pl.DataFrame:
    return (
        parcels.group_by("division_code", "category")
        .agg(
            pl.len().cast(pl.Int64).alias("parcels"),
            pl.col("area_mu").sum(),
            # null, not 0, where every parcel's freeable land is hidden
            pl.when(pl.col("freeable_mu").is_not_null().any()).then(pl.col("freeable_mu").sum()),
        )
        .sort("division_code", "category")
    )


@login_required
def land(request):
    need(request.user, "mujun.view_land")
    year, runs = published_year(request)
    inv = inventory(year, runs)
    parcels = scope_frame(request.user, inv.parcels)
    totals = scope_frame(request.user, inv.totals)
    if not shows_tax(request.user):
        parcels = _without_tax(parcels)
        totals = _totals(parcels)
    elif role_of(request.user) == Role.STREET:
        # a parcel another division's firm shares: its tax less the street's own firms' is that
        # firm's
        own = Enterprise.objects.filter(division_code=request.user.profile.division_code)
        own = pl.Series(list(own.values_list("uscc", flat=True)), dtype=pl.String)
        outside = (
            pl.col("occupant_usccs")
            .str.split(";")
            .list.eval((pl.element() != "") & ~pl.element().is_in(own.implode()))
            .list.any()
            .fill_null(False)
        )
        parcels = _without_tax(parcels, outside)
        totals = _totals(parcels)
    names = selectors.division_names()
    by_category = (
        parcels.group_by("category")
        .agg(
            pl.len().alias("parcels"),
            pl.col("area_mu").sum().alias("area_mu"),
            pl.when(pl.col("freeable_mu").is_not_null().any())
            .then(pl.col("freeable_mu").sum())
            .alias("freeable_mu"),
        )
        .sort("category")
        .to_dicts()
    )
    for row in by_category:
        row["name"] = CATEGORY_NAMES.get(row["category"], row["category"])
    rows = (
        parcels.sort("freeable_mu", "parcel_id", descending=[True, False], nulls_last=True)
        .head(300)
        .to_dicts()
    )
    for row in rows:
        row["category_name"] = CATEGORY_NAMES.get(row["category"], row["category"])
        row["division"] = names.get(row["division_code"], row["division_code"])
    division_rows = totals.to_dicts()
    for row in division_rows:
        row["division"] = names.get(row["division_code"], row["division_code"])
        row["category_name"] = CATEGORY_NAMES.get(row["category"], row["category"])
    return render(
        request,
        "web/land.html",
        {
            "year": year,
            "years": list(runs),
            "by_category": by_category,
            "total": {
                "parcels": parcels.height,
                "area_mu": parcels["area_mu"].sum(),
                "freeable_mu": parcels["freeable_mu"].sum(),
            },
            "rows": rows,
            "shown": len(rows),
            "divisions": division_rows,
            "supply": inv.supply.to_dicts()[0] if inv.supply.height else None,
            "change": inv.change.to_dicts() if inv.change is not None else None,
            "district_wide": role_of(request.user) != Role.STREET,
            "tax_hidden": not shows_tax(request.user),
        },
    )


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100)
    industry_code = forms.RegexField(regex=r"^\d{2,4}$", max_length=4)
    land_area_m2 = forms.FloatField(min_value=0)
    floor_area_m2 = forms.FloatField(min_value=0)
    investment = forms.FloatField(min_value=0, help_text="万元")
    promised_tax_per_mu = forms.FloatField(required=False)
    promised_va_per_mu = forms.FloatField(required=False)
    promised_va_per_energy = forms.FloatField(required=False)
    promised_va_per_emission = forms.FloatField(required=False)
    promised_rd_intensity = forms.FloatField(required=False)


@login_required
def screen(request):
    """Screen one project against the preset's access policy; list the commitment check."""
    need(request.user, "mujun.screen_projects")
    year, runs = published_year(request)
    run = runs[year]
    m = services.methodology_of(run.preset)
    ev = services.evaluation_of(run)
    form = ProjectForm(request.POST or None)
    verdict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        frame = engine_access.project_frame(data, ev.dataset.projects.schema)
        row = engine_access.screen(frame, m.access, ev).row(0, named=True)
        verdict = {
            "verdict": row["verdict"],
            "verdict_name": VERDICT_NAMES.get(row["verdict"], row["verdict"]),
            "reason": row["reason"],
            "industry": row["industry_category"],
            "industry_rule": row["industry_rule"],
            "conditions": [
                {
                    "id": c,
                    "status": row.get(f"cond_{c}"),
                    "value": row.get(c),
                    "threshold": row.get(f"{c}_min"),
                    "margin": row.get(f"{c}_margin"),
                    "source": row.get(f"{c}_source"),
                }
                for c in engine_access.conditions(m.access)
            ],
            "rank": {k: row.get(k) for k in engine_access.RANK},
        }
        if not shows_tax(request.user):
            # the percentile of a promised 亩均税收, tried value by value, reads off the firms'
            verdict["rank"]["tax_per_mu_percentile"] = None
    projects = ev.dataset.projects
    checks = check_commitments(projects, _evaluations(runs, year), year, m.commitments)
    if role_of(request.user) == Role.STREET:
        own = ev.dataset.enterprises.filter(
            pl.col("division_code") == request.user.profile.division_code
        )["uscc"]
        checks = checks.filter(pl.col("applicant_uscc").is_in(own.implode()))
    if not shows_tax(request.user):
        # a shortfall's clawback is (promised − actual 亩均税收) × 亩 × rate: the firm's tax
        checks = checks.with_columns(
            pl.when(pl.col("status") == "behind")
            .then(None)
            .otherwise(pl.col("clawback"))
            .alias("clawback")
        )
    status_counts = checks.group_by("status").len().sort("status").to_dicts()
    due = checks.filter(pl.col("status").is_in(["met", "behind", "overdue"])).sort(
        "status", "project_id"
    )
    return render(
        request,
        "web/screen.html",
        {
            "year": year,
            "years": list(runs),
            "form": form,
            "result": verdict,
            "status_counts": status_counts,
            "checks": due.head(300).to_dicts(),
            "check_columns": [c for c in due.columns if c in _CHECK_SHOWN],
        },
    )


_CHECK_SHOWN = (
    "project_id",
    "name",
    "applicant_uscc",
    "production_due",
    "status",
    "behind",
    "years_behind",
    "years_overdue",
    "clawback",
)
