"""Selectors: the read side of the web app. Aggregates are computed by the database over the
published results (one query each), never by looping over enterprises in Python."""

from __future__ import annotations

from functools import cache

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr

from mujun.dataset.reference import divisions, industries
from mujun.reports.disclosure import disclosable, suppressed
from mujun.web import services
from mujun.web.models import Result, Run
from mujun.web.roles import scope, sees_whole_district, shows_tax


def division_names() -> dict[str, str]:
    return divisions()


@cache
def industry_names() -> dict[str, str]:
    return {code: row["name_zh"] for code, row in industries().items()}


def published_runs() -> dict[int, Run]:
    """The run in force for each published year (the last published), oldest year first."""
    runs: dict[int, Run] = {}
    # not the published workbook: ~40 MB a year at 150,000 enterprises, seconds on every page
    published = Run.objects.filter(status=Run.Status.PUBLISHED).defer("published_xlsx")
    for run in published.order_by("year", "published_at", "id"):
        runs[run.year] = run
    return dict(sorted(runs.items()))


def results(user, run: Run):
    return scope(user, Result.objects.filter(run=run))


def per_mu(rows) -> dict:
    """亩均税收 and 亩均增加值 of a set of results: sums over evaluated firms with land."""
    agg = rows.filter(status="evaluated", land_mu__gt=0).aggregate(
        tax=Sum("adjusted_tax"),
        top=Max("adjusted_tax"),
        va=Sum("value_added"),
        land=Sum("land_mu"),
        n=Count("id"),
    )
    land = agg["land"] or 0.0
    return {
        "tax_per_mu": (agg["tax"] or 0.0) / land if land else None,
        "tax_total": agg["tax"],
        "tax_top": agg["top"],
        "va_per_mu": (agg["va"] or 0.0) / land if land else None,
        "land_mu": land,
        "firms": agg["n"],
    }


def grade_counts(rows) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows.exclude(grade="").values("list", "grade").annotate(n=Count("id")):
        out.setdefault(r["list"], {})[r["grade"]] = r["n"]
    return out


def by_division(rows) -> list[dict]:
    names = division_names()
    out = []
    for r in (
        rows.filter(status="evaluated", land_mu__gt=0)
        .values("division_code")
        .annotate(
            tax=Sum("adjusted_tax"),
            top=Max("adjusted_tax"),
            land=Sum("land_mu"),
            va=Sum("value_added"),
            n=Count("id"),
            a=Count("id", filter=Q(grade="A")),
            d=Count("id", filter=Q(grade="D")),
        )
        .order_by("division_code")
    ):
        out.append(
            {
                "code": r["division_code"],
                "name": names.get(r["division_code"], r["division_code"]),
                "tax_per_mu": r["tax"] / r["land"] if r["land"] else None,
                "tax_total": r["tax"],
                "tax_top": r["top"],
                "va_per_mu": (r["va"] or 0) / r["land"] if r["land"] else None,
                "firms": r["n"],
                "a_share": r["a"] / r["n"] if r["n"] else None,
                "d_share": r["d"] / r["n"] if r["n"] else None,
            }
        )
    return out


def by_industry(rows) -> list[dict]:
    names = industry_names()
    out = []
    for r in (
        rows.filter(status="evaluated", land_mu__gt=0)
        .annotate(industry=Substr("industry_code", 1, 2))
        .values("industry")
        .annotate(
            tax=Sum("adjusted_tax"), top=Max("adjusted_tax"), land=Sum("land_mu"), n=Count("id")
        )
        .order_by("industry")
    ):
        out.append(
            {
                "code": r["industry"],
                "name": names.get(r["industry"], r["industry"]),
                "tax_per_mu": r["tax"] / r["land"] if r["land"] else None,
                "tax_total": r["tax"],
                "tax_top": r["top"],
                "firms": r["n"],
            }
        )
    return sorted(out, key=lambda x: -(x["tax_per_mu"] or 0))


def movers(user, run: Run, previous: Run | None, n: int = 10) -> tuple[list[dict], list[dict]]:
    """The best and worst movers by total score against the previous year's published run."""
    if previous is None:
        return [], []
    return movers_between(results(user, run), results(user, previous), n)


def movers_between(now_rows, before_rows, n: int = 10) -> tuple[list[dict], list[dict]]:
    before = dict(before_rows.exclude(total_score=None).values_list("uscc", "total_score"))
    now = now_rows.exclude(total_score=None).values("uscc", "name", "list", "grade", "total_score")
    changes = []
    for r in now:
        if r["uscc"] in before:
            changes.append({**r, "change": r["total_score"] - before[r["uscc"]]})
    changes.sort(key=lambda r: (-r["change"], r["uscc"]))
    return changes[:n], list(reversed(changes[-n:])) if len(changes) > n else []


def overview_figures(rows) -> dict:
    """Everything the overview shows of one run's results (all of them, or a division's)."""
    return {
        "kpi": per_mu(rows),
        "counts": grade_counts(rows),
        "divisions": by_division(rows),
        "industries": by_industry(rows),
    }


_TAX_SUMS = ("tax_total", "tax_top")


def without_firm_tax(figures: dict) -> dict:
    """The overview's figures for a reader without tax access: a tax aggregate only where it cannot
    be read as one firm's, alone or by difference (mujun.reports.disclosure), the others blank."""
    kpi = figures["kpi"]
    kpi_shown = disclosable(kpi.get("firms"), kpi.get("tax_total"), kpi.get("tax_top"))

    def public(row: dict, shown: bool) -> dict:
        out = {k: v for k, v in row.items() if k not in _TAX_SUMS}
        return out | {"tax_per_mu": row["tax_per_mu"] if shown else None}

    def cut(rows: list[dict]) -> list[dict]:
        hidden = suppressed(rows, kpi_shown)
        return [public(r, i not in hidden) for i, r in enumerate(rows)]

    return {
        **figures,
        "kpi": public(kpi, kpi_shown),
        "divisions": cut(figures["divisions"]),
        # re-sorted: a blank's place among the figures shown would bracket it
        "industries": sorted(
            cut(figures["industries"]),
            key=lambda i: (i["tax_per_mu"] is None, -(i["tax_per_mu"] or 0), i["code"]),
        ),
    }


def district_overview(user, run: Run) -> dict:
    """The overview's figures for the user's scope: the district's are computed once per run
    (services.run_figures); a division's are computed now."""
    if sees_whole_district(user):
        figures = services.run_figures(run).overview
    else:
        figures = overview_figures(results(user, run))
    return figures if shows_tax(user) else without_firm_tax(figures)


def district_movers(user, run: Run, previous: Run | None) -> tuple[list[dict], list[dict]]:
    if sees_whole_district(user):
        stored = services.run_figures(run).movers
        if stored["previous"] == (previous.pk if previous else None):
            return stored["best"], stored["worst"]
    return movers(user, run, previous)
