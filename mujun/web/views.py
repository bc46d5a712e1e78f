"""The pages. Views are thin: they check the user's rights (roles.py), call selectors to read and
services to change, and render. Every object page answers 404 for an object outside the user's
scope and 403 for a capability the role lacks."""

from __future__ import annotations

import csv
import io
import json
import logging
from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from mujun.engine.indicators import INDICATORS
from mujun.engine.tax import TERMS as TAX_TERMS
from mujun.reports.cells import escape_cell
from mujun.reports.disclosure import TAX_INDICATORS
from mujun.reports.labels import label as column_label
from mujun.web import selectors, services, uploads
from mujun.web.audit import record
from mujun.web.models import (
    DataVersion,
    Enterprise,
    LandShare,
    Objection,
    Parcel,
    ParcelResult,
    Preset,
    Result,
    Role,
    Run,
)
from mujun.web.roles import audience, role_of, scope, sees_whole_district, shows_tax

logger = logging.getLogger(__name__)
TOKEN_LENGTH = 200
"""A form's one-time token (services.issue_token) fits in this many characters."""

GRADE_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027", "": "#bdbdbd"}
GRADE_LEVELS = {"A": 4, "B": 3, "C": 2, "D": 1}
LIST_NAMES = {
    "above": "规上企业",
    "below": "规下企业（用地 ≥ 3 亩）",
    "below_small": "规下企业（用地 < 3 亩）",
    "tenant": "租赁企业",
}
# the engine's indicator names and units, as the published list labels them
INDICATOR_NAMES = {i: column_label(f"ind_{i}") for i in INDICATORS}


def need(user, perm: str, obj=None, missing=PermissionDenied) -> None:
    """Refuse unless the user has the permission: 403 for capabilities, 404 for objects."""
    if not user.has_perm(perm, obj):
        raise missing()


@lru_cache(maxsize=1)
def _template() -> dict:
    """plotly_white as JSON, once: validating the template is most of a figure's cost."""
    return pio.templates["plotly_white"].to_plotly_json()


def _figure(fig: go.Figure | dict) -> str:
    """A figure as JSON for the page: a plotly Figure, or (cheaper, for busy pages) a plain dict of
    `data` (traces with their `type`) and `layout`."""
    layout = {
        "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
        "height": 320,
        "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"},
    }
    if isinstance(fig, dict):
        out = {"data": fig["data"], "layout": {**fig.get("layout", {}), **layout}}
    else:
        fig.update_layout(**layout)
        out = fig.to_plotly_json()
    out["layout"]["template"] = _template()
    return pio.to_json(out, validate=False)


def published_year(request) -> tuple[int, dict[int, Run]]:
    """The published year a page asks for (?year=, else the latest) and the runs in force; 404 when
    nothing is published or the year is not."""
    runs = selectors.published_runs()
    year = _year(request, runs)
    if year is None:
        raise Http404
    return year, runs


def _year(request, runs: dict[int, Run]) -> int | None:
    if not runs:
        return None
    try:
        year = int(request.GET.get("year", max(runs)))
    except ValueError:
        raise Http404 from None
    if year not in runs:
        raise Http404
    return year


# ---------------------------------------------------------------- home and overview


@login_required
def home(request):
    if role_of(request.user) == Role.ENTERPRISE:
        return redirect("profile", uscc=request.user.profile.uscc)
    if request.user.has_perm("mujun.view_overview"):
        return redirect("overview")
    raise PermissionDenied


@login_required
def overview(request):
    need(request.user, "mujun.view_overview")
    runs = selectors.published_runs()
    year = _year(request, runs)
    if year is None:
        return render(request, "web/empty.html", {"title": _("Overview")})
    run = runs[year]
    figures = selectors.district_overview(request.user, run)
    kpi, counts = figures["kpi"], figures["counts"]
    divisions, industries = figures["divisions"], figures["industries"]
    trend = [
        {"year": y, **selectors.district_overview(request.user, r)["kpi"]} for y, r in runs.items()
    ]
    best, worst = selectors.district_movers(request.user, run, runs.get(year - 1))
    base = reverse("enterprises")

    trend_fig = go.Figure()
    trend_fig.add_scatter(
        x=[t["year"] for t in trend],
        y=[t["tax_per_mu"] for t in trend],
        name="亩均税收",
        mode="lines+markers",
        customdata=[f"{reverse('overview')}?year={t['year']}" for t in trend],
    )
    trend_fig.add_scatter(
        x=[t["year"] for t in trend],
        y=[t["va_per_mu"] for t in trend],
        name="亩均增加值",
        mode="lines+markers",
        customdata=[f"{reverse('overview')}?year={t['year']}" for t in trend],
    )
    trend_fig.update_layout(yaxis_title="万元/亩")

    grade_fig = go.Figure()
    for grade in "ABCD":
        lists = [name for name in LIST_NAMES if name in counts]
        totals = [sum(counts[name].values()) for name in lists]
        grade_fig.add_bar(
            name=grade,
            x=[LIST_NAMES[name] for name in lists],
            y=[
                counts[name].get(grade, 0) / t if t else 0
                for name, t in zip(lists, totals, strict=True)
            ],
            marker_color=GRADE_COLOURS[grade],
            customdata=[f"{base}?year={year}&list={name}&grade={grade}" for name in lists],
        )
    grade_fig.update_layout(barmode="stack", yaxis_tickformat=".0%")

    division_fig = go.Figure(
        go.Bar(
            x=[d["name"] for d in divisions],
            y=[d["tax_per_mu"] for d in divisions],
            customdata=[f"{base}?year={year}&division={d['code']}" for d in divisions],
            marker_color="#3182bd",
        )
    )
    division_fig.update_layout(yaxis_title="亩均税收（万元/亩）")
    top = [i for i in industries if i["tax_per_mu"] is not None][:15]
    industry_fig = go.Figure(
        go.Bar(
            y=[f"{i['code']} {i['name']}" for i in top][::-1],
            x=[i["tax_per_mu"] for i in top][::-1],
            orientation="h",
            customdata=[f"{base}?year={year}&industry={i['code']}" for i in top][::-1],
            marker_color="#756bb1",
        )
    )
    industry_fig.update_layout(xaxis_title="亩均税收（万元/亩）", height=420)
    return render(
        request,
        "web/overview.html",
        {
            "year": year,
            "years": list(runs),
            "run": run,
            "kpi": kpi,
            "trend": trend,
            "counts": {LIST_NAMES.get(k, k): v for k, v in counts.items()},
            "divisions": divisions,
            "industries": industries,
            "best": best,
            "worst": worst,
            "show_tax": shows_tax(request.user),
            "figures": {
                "trend": _figure(trend_fig),
                "grades": _figure(grade_fig),
                "divisions": _figure(division_fig),
                "industries": _figure(industry_fig),
            },
        },
    )


# ---------------------------------------------------------------- enterprises


class EnterpriseFilter(forms.Form):
    year = forms.IntegerField(required=False)
    grade = forms.ChoiceField(required=False, choices=[("", "—"), *[(g, g) for g in "ABCD"]])
    list = forms.ChoiceField(required=False, choices=[("", "—"), *LIST_NAMES.items()])
    division = forms.CharField(required=False, max_length=12)
    industry = forms.CharField(required=False, max_length=4)
    qualification = forms.CharField(required=False, max_length=20)
    q = forms.CharField(required=False, max_length=60)


def _filtered(request, run: Run, form: EnterpriseFilter):
    rows = selectors.results(request.user, run)
    data = form.cleaned_data
    if data.get("grade"):
        rows = rows.filter(grade=data["grade"])
    if data.get("list"):
        rows = rows.filter(list=data["list"])
    if data.get("division"):
        rows = rows.filter(division_code=data["division"])
    if data.get("industry"):
        rows = rows.filter(industry_code__startswith=data["industry"])
    if data.get("qualification"):
        rows = rows.filter(
            uscc__in=Enterprise.objects.filter(
                qualifications__contains=data["qualification"]
            ).values("uscc")
        )
    if data.get("q"):
        q = data["q"].strip()
        rows = rows.filter(Q(name__icontains=q) | Q(uscc__startswith=q.upper()))
    return rows.order_by("list", "rank", "uscc")


def _columns(user) -> list[tuple[str, str]]:
    columns = [
        ("uscc", "统一社会信用代码"),
        ("name", "企业名称"),
        ("list", "名单"),
        ("division", "镇街"),
        ("industry_code", "行业代码"),
        ("land_mu", "用地（亩）"),
    ]
    if shows_tax(user):  # for the others, land times 亩均税收 (or the total score) is the tax
        columns += [
            ("tax_paid", "实缴税金（万元）"),
            ("adjusted_tax", "调整后税收（万元）"),
            ("tax_per_mu", "亩均税收（万元/亩）"),
            ("total_score", "综合得分"),
        ]
    columns += [
        ("grade", "等级"),
        ("rank", "排名"),
        ("status", "状态"),
    ]
    return columns


def _row(r: Result, divisions: dict[str, str]) -> dict:
    return {
        "uscc": r.uscc,
        "name": r.name,
        "list": LIST_NAMES.get(r.list, r.list),
        "division": divisions.get(r.division_code, r.division_code),
        "industry_code": r.industry_code,
        "land_mu": r.land_mu,
        "tax_paid": r.tax_paid,
        "adjusted_tax": r.adjusted_tax,
        "tax_per_mu": r.tax_per_mu,
        "total_score": r.total_score,
        "grade": r.grade,
        "rank": r.rank,
        "status": r.status,
    }


@login_required
def enterprises(request):
    need(request.user, "mujun.list_enterprises")
    runs = selectors.published_runs()
    form = EnterpriseFilter(request.GET)  # bound even when empty: every filter is optional
    if not runs:
        return render(request, "web/empty.html", {"title": _("Enterprises")})
    if not form.is_valid():
        return HttpResponse(status=400)
    year = _year(request, runs)
    rows = _filtered(request, runs[year], form)
    columns = _columns(request.user)
    divisions = selectors.division_names()
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        record(
            runs[year],
            "export enterprises",
            request.user,
            format=export,
            filters=request.GET.dict(),
        )
        return _export(rows, columns, divisions, export, year)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/enterprises.html",
        {
            "form": form,
            "year": year,
            "years": list(runs),
            "page": page,
            "columns": columns,
            "rows": [_row(r, divisions) for r in page.object_list],
            "query": query.urlencode(),
            "divisions": divisions,
        },
    )


def _export(rows, columns, divisions, fmt: str, year: int) -> HttpResponse:
    header = [label for _, label in columns]
    records = (
        [escape_cell(_row(r, divisions)[key]) for key, _ in columns] for r in rows.iterator(2000)
    )
    name = f"enterprises-{year}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(records)
        response = HttpResponse(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    else:
        import xlsxwriter

        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        sheet = book.add_worksheet(str(year))
        sheet.write_row(0, 0, header)
        for i, record_ in enumerate(records, start=1):
            sheet.write_row(i, 0, record_)
        book.close()
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _enterprise(request, uscc: str) -> Enterprise:
    firm = Enterprise.objects.filter(uscc=uscc).first()
    if firm is None or not request.user.has_perm("mujun.view_enterprise", firm):
        raise Http404
    return firm


@login_required
def profile(request, uscc: str):
    firm = _enterprise(request, uscc)
    runs = selectors.published_runs()
    show_tax = request.user.has_perm("mujun.view_tax", firm)
    by_run = {r.run_id: r for r in Result.objects.filter(uscc=uscc, run__in=list(runs.values()))}
    years = []
    for year, run in runs.items():
        r = by_run.get(run.pk)
        if r is not None:
            years.append({"year": year, "run": run, "r": r, "v": r.values})
    indicator_ids = [
        i
        for i in INDICATOR_NAMES
        if any(f"ind_{i}" in y["v"] for y in years) and (show_tax or i not in TAX_INDICATORS)
    ]
    table = [
        {
            "id": i,
            "name": INDICATOR_NAMES[i],
            "values": [y["v"].get(f"ind_{i}") for y in years],
            "scores": [y["v"].get(f"score_{i}") for y in years],
        }
        for i in indicator_ids
    ]
    changes = _changes(years, indicator_ids, show_tax)
    glance = _glance(years, table, show_tax)
    latest = years[-1] if years else None
    shares = []
    if latest:
        shares = list(LandShare.objects.filter(uscc=uscc, run=latest["run"]).order_by("parcel_id"))
    figures = {}
    if years:
        # plain dicts: plotly's Figure objects cost tens of ms per page
        x = [y["year"] for y in years]
        score = {
            "type": "scatter",
            "x": x,
            "y": [y["r"].total_score for y in years],
            "mode": "lines+markers+text",
            "text": [y["r"].grade or "—" for y in years],
            "textposition": "top center",
            "name": "综合得分",
        }
        layout = {}
        if not show_tax:  # the total score less the other scores is the tax's: grades only
            score["y"] = [GRADE_LEVELS.get(y["r"].grade) for y in years]
            score["name"] = "等级"
            layout = {"yaxis": {"tickvals": [4, 3, 2, 1], "ticktext": list("ABCD")}}
        figures["score"] = _figure({"data": [score], "layout": layout})
        if show_tax:
            paid = [y["r"].tax_paid for y in years]
            adjusted = [y["r"].adjusted_tax for y in years]
            tax = [
                {"type": "bar", "x": x, "y": paid, "name": "实缴税金"},
                {"type": "bar", "x": x, "y": adjusted, "name": "调整后税收"},
            ]
            figures["tax"] = _figure(
                {"data": tax, "layout": {"yaxis": {"title": {"text": "万元"}}}}
            )
    objections = (
        Objection.objects.filter(uscc=uscc)
        if request.user.has_perm("mujun.view_objection", firm)
        else Objection.objects.none()
    )
    measures = _measures(latest, show_tax) if latest else []
    publicity = None
    if latest is not None and latest["run"].objection_deadline is not None:
        run = latest["run"]
        publicity = {
            "year": run.year,
            "deadline": run.objection_deadline,
            "closed": services.objection_closed(run),
        }
    can_object = (
        _may_object(request.user, firm)
        and latest is not None
        and not (publicity and publicity["closed"])
    )
    return render(
        request,
        "web/profile.html",
        {
            "firm": firm,
            "division": selectors.division_names().get(firm.division_code, firm.division_code),
            "industry": selectors.industry_names().get(firm.industry_code, ""),
            "years": years,
            "glance": glance,
            "changes": changes,
            "latest": latest,
            "publicity": publicity,
            "measures": measures,
            "shares": shares,
            "show_tax": show_tax,
            "figures": figures,
            "objections": objections,
            "objection_form": ObjectionForm(
                initial={"nonce": services.issue_token(request.user, "objection")}
            )
            if can_object
            else None,
            "list_names": LIST_NAMES,
        },
    )


def _measures(latest: dict, show_tax: bool) -> list[dict]:
    """What the firm's grade brings it in the latest year, each amount with its label and unit:
    the electricity surcharge and its refund, the land-use-tax relief (with the firm's tax: its
    tier is set by it), and the preset's other levers."""
    m = services.methodology_of(latest["run"].preset)
    columns = ["surcharge", "surcharge_refund"]
    if show_tax:
        columns.append("land_tax_relief")
    columns += [f"lever_{lever.id}" for lever in m.policy.levers]
    return [
        {"label": column_label(c, m), "value": latest["v"][c]}
        for c in columns
        if latest["v"].get(c) is not None
    ]


def _glance(years: list[dict], table: list[dict], show_tax: bool) -> list[dict]:
    """The seven-years table's rows, each row's cells joined here: a template loop per cell costs
    more than the rest of the page (the profile is the page the bench holds to 300 ms)."""
    from mujun.web.templatetags.mujun import num

    def cells(values, kind: int | str = 2):
        """kind: digits for numbers, "grade" (coloured) or "text"."""
        if kind == "grade":
            items = ((f"g{v}", v) for v in values)
        elif kind == "text":
            items = (("", v) for v in values)
        else:
            items = (("", num(v, kind)) for v in values)
        return format_html_join("", '<td class="{}">{}</td>', items)

    rows = [
        {"label": _("Grade"), "cells": cells([y["r"].grade or "—" for y in years], "grade")},
        {
            "label": _("List"),
            "cells": cells([LIST_NAMES.get(y["r"].list, y["r"].list) for y in years], "text"),
        },
        {
            "label": _("Rank in list"),
            "cells": cells(["—" if y["r"].rank is None else y["r"].rank for y in years], "text"),
        },
        {"label": _("Status"), "cells": cells([y["r"].status for y in years], "text")},
        {"label": _("Land (mu)"), "cells": cells([y["r"].land_mu for y in years])},
    ]
    if show_tax:
        total = {"label": _("Total score"), "cells": cells([y["r"].total_score for y in years])}
        rows.insert(3, total)
        rows += [
            {"label": _("Tax paid (10k CNY)"), "cells": cells([y["r"].tax_paid for y in years], 1)},
            {
                "label": _("Adjusted tax (10k CNY)"),
                "cells": cells([y["r"].adjusted_tax for y in years], 1),
            },
        ]
        for term, _sign in TAX_TERMS:  # each refined-tax term as counted, where any year has one
            key = f"tax_{term}"
            if any(y["v"].get(key) for y in years):
                cells_ = cells([y["v"].get(key) for y in years], 1)
                rows.append({"label": "↳ " + column_label(key), "cells": cells_})
    for i in table:
        rows.append({"label": i["name"], "cells": cells(i["values"], 3), "css": "ind"})
        rows.append({"label": "↳ " + _("score"), "cells": cells(i["scores"]), "css": "score"})
    return rows


def _changes(years: list[dict], indicator_ids: list[str], show_tax: bool) -> dict | None:
    """What changed from last year and why: each indicator's score change (the score is their sum,
    plus bonus, minus deduction), largest first. Without the firm's tax, not the total's change."""
    if len(years) < 2:
        return None
    before, now = years[-2], years[-1]
    items = []
    for i in indicator_ids:
        s0, s1 = before["v"].get(f"score_{i}"), now["v"].get(f"score_{i}")
        v0, v1 = before["v"].get(f"ind_{i}"), now["v"].get(f"ind_{i}")
        if s0 is None and s1 is None:
            continue
        items.append(
            {
                "name": INDICATOR_NAMES[i],
                "before": v0,
                "now": v1,
                "delta": (s1 or 0.0) - (s0 or 0.0),
            }
        )
    for key, label in (("bonus", "加分"), ("deduction", "扣分")):
        d0, d1 = before["v"].get(key) or 0.0, now["v"].get(key) or 0.0
        if d0 or d1:
            sign = 1 if key == "bonus" else -1
            items.append({"name": label, "before": d0, "now": d1, "delta": sign * (d1 - d0)})
    items.sort(key=lambda x: -abs(x["delta"]))
    total0, total1 = before["r"].total_score, now["r"].total_score
    return {
        "from_year": before["year"],
        "to_year": now["year"],
        "grade_before": before["r"].grade,
        "grade_now": now["r"].grade,
        "score_delta": (total1 - total0)
        if show_tax and total0 is not None and total1 is not None
        else None,
        "items": items,
    }


@login_required
def explain(request, uscc: str):
    """The engine's explanation of the latest published year (fetched by the profile page)."""
    from mujun.engine import explain as engine_explain

    firm = _enterprise(request, uscc)
    runs = selectors.published_runs()
    if not runs:
        raise Http404
    year = _year(request, runs)
    run = runs[year]
    ev = services.evaluation_of(run)
    try:
        contributions = engine_explain.contributions(ev, uscc).to_dicts()
        takes = engine_explain.what_it_takes(ev, uscc)
    except engine_explain.ExplainError as exc:
        return render(request, "web/explain.html", {"error": str(exc), "firm": firm})
    show_tax = request.user.has_perm("mujun.view_tax", firm)
    # a single firm's tax only for those who may see it; the others get the indicators not made
    # from tax, and no points (the gap to the next grade's cut gives the total score away)
    sentences = [engine_explain.describe_input(c) for c in takes["inputs"]] if show_tax else []
    if not show_tax:
        contributions = [c for c in contributions if c["indicator"] not in TAX_INDICATORS]
    return render(
        request,
        "web/explain.html",
        {
            "firm": firm,
            "year": year,
            "contributions": contributions,
            "takes": takes,
            "sentences": sentences,
            "show_tax": show_tax,
        },
    )


# ---------------------------------------------------------------- objections


def _may_object(user, firm) -> bool:
    """Only the enterprise itself objects to its figures (not even a superuser on its behalf)."""
    return role_of(user) == Role.ENTERPRISE and user.has_perm("mujun.file_objection", firm)


class ObjectionForm(forms.Form):
    field = forms.ChoiceField(choices=[(f, f) for f in services.OBJECTABLE])
    proposed_value = forms.FloatField(required=False)
    explanation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_LENGTH)


@login_required
@require_POST
def file_objection(request, uscc: str):
    firm = _enterprise(request, uscc)
    if not _may_object(request.user, firm):
        raise PermissionDenied
    form = ObjectionForm(request.POST)
    runs = selectors.published_runs()
    if not runs or not form.is_valid():
        messages.error(request, _("The objection was not filed: %s") % form.errors.as_text())
        return redirect("profile", uscc=uscc)
    run = runs[max(runs)]
    try:
        services.file_objection(
            run,
            uscc,
            form.cleaned_data["field"],
            form.cleaned_data["proposed_value"],
            form.cleaned_data["explanation"],
            request.user,
            nonce=services.token_nonce(form.cleaned_data["nonce"], request.user, "objection"),
        )
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your objection was filed."))
    return redirect("profile", uscc=uscc)


@login_required
def objections(request):
    if role_of(request.user) == Role.ENTERPRISE:
        rows = Objection.objects.filter(uscc=request.user.profile.uscc)
    else:
        need(request.user, "mujun.handle_objections")
        rows = Objection.objects.all()
    rows = rows.select_related("created_by", "resolved_by").order_by("status", "-id")
    names = dict(
        Enterprise.objects.filter(uscc__in=rows.values("uscc")).values_list("uscc", "name")
    )
    return render(request, "web/objections.html", {"rows": rows, "names": names})


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    value = forms.FloatField(required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    scope = forms.ChoiceField(choices=[("firm", "firm"), ("all", "all")], required=False)


@login_required
def objection(request, pk: int):
    if role_of(request.user) != Role.ENTERPRISE:
        need(request.user, "mujun.handle_objections")  # 403 for roles without objections at all
    item = get_object_or_404(Objection, pk=pk)
    firm = Enterprise.objects.filter(uscc=item.uscc).first()
    need(request.user, "mujun.view_objection", firm or item, missing=Http404)
    form = ResolveForm(request.POST or None, initial={"value": item.proposed_value})
    if request.method == "POST":
        need(request.user, "mujun.handle_objections")
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "accept":
                    value = form.cleaned_data["value"]
                    if value is None:
                        raise services.ServiceError(_("Accepting needs the corrected value."))
                    _objection, run = services.accept_objection(
                        item,
                        value,
                        form.cleaned_data["reason"],
                        request.user,
                        recompute_all=form.cleaned_data.get("scope") == "all",
                    )
                    messages.success(
                        request,
                        _("Accepted: the data was corrected and run %(run)s evaluated.")
                        % {"run": run.pk},
                    )
                    return redirect("run", pk=run.pk)
                services.reject_objection(item, form.cleaned_data["reason"], request.user)
                messages.success(request, _("Rejected."))
            except services.ServiceError as exc:
                messages.error(request, str(exc))
            return redirect("objection", pk=pk)
    return render(
        request,
        "web/objection.html",
        {
            "item": item,
            "firm": firm,
            "form": form,
            "can_handle": request.user.has_perm("mujun.handle_objections"),
        },
    )


# ---------------------------------------------------------------- map


@login_required
def parcel_map(request):
    need(request.user, "mujun.view_map")
    runs = selectors.published_runs()
    year = _year(request, runs)
    layer = "lowland" if request.GET.get("layer") == "lowland" else ""
    if layer:
        need(request.user, "mujun.view_land")
    names = selectors.division_names()
    visible = scope(request.user, Parcel.objects.all())
    codes = sorted(set(visible.values_list("division_code", flat=True).distinct()))
    division = request.GET.get("division", "")
    if division and division not in codes:
        raise Http404
    if not division and visible.count() > MAP_ALL_LIMIT:
        division = codes[0]  # a large district is drawn one division at a time
    return render(
        request,
        "web/map.html",
        {
            "year": year,
            "years": list(runs),
            "layer": layer,
            "division": division,
            "divisions": [(c, names.get(c, c)) for c in codes],
            "all_allowed": visible.count() <= MAP_ALL_LIMIT,
        },
    )


MAP_ALL_LIMIT = 20_000
"""Above this many parcels the map draws one division at a time (a browser draws some 20,000
polygons smoothly; a county has over 100,000)."""


def _ring(geometry: str) -> list[list[float]] | None:
    try:
        shape = json.loads(geometry)
    except (TypeError, ValueError):
        return None
    coords = shape.get("coordinates") if isinstance(shape, dict) else None
    if not coords:
        return None
    if shape.get("type") == "MultiPolygon":
        coords = coords[0]
    return coords[0]


@login_required
def map_data(request):
    """Every visible parcel's outline, grade and vacancy for the year (the map draws them)."""
    need(request.user, "mujun.view_map")
    runs = selectors.published_runs()
    year = _year(request, runs)
    if year is None:
        return JsonResponse({"parcels": []})
    division = request.GET.get("division", "")
    key = division if sees_whole_district(request.user) else request.user.profile.division_code
    parcels = _map_parcels(runs[year].pk, services.head().pk, division, key, request.user)
    if request.GET.get("layer") == "lowland":
        from mujun.web.land import flagged

        flags = flagged(request.user, year)
        parcels = [{**p, "lowland": flags.get(p["id"])} for p in parcels]
    return JsonResponse({"year": year, "colours": GRADE_COLOURS, "parcels": parcels})


def _map_parcels(run_id: int, head_id: int, division: str, scope_key: str, user) -> list[dict]:
    """The parcels the map draws, cached per (run, current data, division, the user's scope): a
    published run never changes, and the polygons change only with a new committed version."""
    key = (run_id, head_id, division, scope_key)
    cached = _MAP_CACHE.get(key)
    if cached is None:
        results = ParcelResult.objects.filter(run_id=run_id)
        shapes = Parcel.objects.all()
        if division:
            results = results.filter(division_code=division)
            shapes = shapes.filter(division_code=division)
        results = scope(user, results, uscc_field="owner_uscc")
        shapes = scope(user, shapes, uscc_field="owner_uscc")
        info = {
            p: (g, v, a)
            for p, g, v, a in results.values_list("parcel_id", "grade", "vacant_share", "area_mu")
        }
        cached = []
        for parcel_id, geometry in shapes.values_list("parcel_id", "geometry"):
            ring = _ring(geometry)
            if ring is None or parcel_id not in info:
                continue
            grade, vacant, area = info[parcel_id]
            cached.append(
                {"id": parcel_id, "grade": grade, "vacant": vacant, "area_mu": area, "ring": ring}
            )
        cached.sort(key=lambda p: p["id"])
        if len(_MAP_CACHE) >= 32:
            _MAP_CACHE.pop(next(iter(_MAP_CACHE)))
        _MAP_CACHE[key] = cached
    return cached


_MAP_CACHE: dict[tuple, list[dict]] = {}


@login_required
def parcel_detail(request, parcel_id: str):
    parcel = Parcel.objects.filter(parcel_id=parcel_id).first()
    if parcel is None or not request.user.has_perm("mujun.view_parcel", parcel):
        raise Http404
    runs = selectors.published_runs()
    year = _year(request, runs)
    result = (
        ParcelResult.objects.filter(run=runs[year], parcel_id=parcel_id).first() if year else None
    )
    owner = Enterprise.objects.filter(uscc=parcel.owner_uscc).first()
    data = {
        "parcel_id": parcel.parcel_id,
        "area_mu": parcel.area_m2 / services.M2_PER_MU,
        "division": selectors.division_names().get(parcel.division_code, parcel.division_code),
        "owner": {"uscc": parcel.owner_uscc, "name": owner.name if owner else ""},
        "year": year,
    }
    if result is not None:
        # the parcel's 亩均税收 times its area is its occupants' tax: only for a reader who may see
        # every occupant's (a landlord or a street office would otherwise subtract its own share)
        firms = Enterprise.objects.filter(uscc__in=[o["uscc"] for o in result.occupants])
        tax_visible = len(firms) == len({o["uscc"] for o in result.occupants}) and all(
            request.user.has_perm("mujun.view_tax", f) for f in firms
        )
        data.update(
            grade=result.grade,
            occupied_share=result.occupied_share,
            vacant_share=result.vacant_share,
            tax_per_mu=result.tax_per_mu if tax_visible else None,
            value_added_per_mu=result.value_added_per_mu,
            occupants=[
                {**o, "share": o["land_mu"] / result.area_mu if result.area_mu else None}
                for o in result.occupants
            ],
        )
    return JsonResponse(data)


# ---------------------------------------------------------------- data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class FilesForm(forms.Form):
    files = MultipleFileField(label=_("Bureau files or a canonical dataset workbook"))
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_LENGTH)


def _data_page(request, status: int = 200, **context) -> HttpResponse:
    form = context.pop("form", None) or FilesForm(
        initial={"nonce": services.issue_token(request.user, "data")}
    )
    versions = DataVersion.objects.select_related("created_by").all()[:30]
    return render(
        request, "web/data.html", {"form": form, "versions": versions, **context}, status=status
    )


def _too_large(request) -> HttpResponse:
    limit = uploads.upload_limit()
    return _data_page(
        request,
        413,
        error=_("The upload is larger than the limit of %(limit)s MB; nothing was stored.")
        % {"limit": f"{limit / 1024 / 1024:g}"},
    )


@csrf_exempt  # the CSRF check is made in _data, once the upload handler is set (it reads the body)
@login_required
def data(request):
    need(request.user, "mujun.manage_data")
    if request.method == "POST":
        uploads.sweep()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > uploads.upload_limit():  # refused before a byte of it is read
            logger.warning(
                "upload refused: %d bytes, the limit is %d (user %s)",
                length,
                uploads.upload_limit(),
                request.user.pk,
            )
            return _too_large(request)
        request.upload_handlers = [uploads.LimitedUploadHandler(request)]
    return _data(request)


@csrf_protect
def _data(request):
    if request.method != "POST":
        return _data_page(request)
    if getattr(request, "upload_refused", False):
        return _too_large(request)
    form = FilesForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            logger.warning("upload by user %s refused: %s", request.user.pk, form.errors.as_text())
            error = " ".join(m for errors in form.errors.values() for m in errors)
            return _data_page(request, 422, error=error)
        files = form.cleaned_data["files"]
        names = [upload.name for upload in files]
        try:
            nonce = services.token_nonce(form.cleaned_data["nonce"], request.user, "data")
        except services.ServiceError as exc:
            return _data_page(request, 422, error=str(exc))
        if existing := services.submitted(DataVersion, nonce):
            return redirect("version", pk=existing.pk)
        # each upload is on disk already (uploads.LimitedUploadHandler): read where it lies
        paths = [Path(upload.temporary_file_path()) for upload in files]
        version, problems = services.import_files(paths, names, request.user, nonce=nonce)
    finally:
        for upload in request.FILES.getlist("files"):
            upload.close()  # deletes its file
    if version is None:
        return _data_page(request, 422, problems=problems, failed=names)
    return redirect("version", pk=version.pk)


@login_required
def version(request, pk: int):
    need(request.user, "mujun.manage_data")
    item = get_object_or_404(DataVersion, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "commit":
            try:
                services.commit_version(item, request.user)
            except services.ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Committed: this is now the current data."))
        elif action == "discard":
            services.discard_version(item, request.user)
            messages.info(request, _("Discarded."))
        return redirect("version", pk=pk)
    tables = item.tables.values("name", "rows").order_by("name")
    return render(request, "web/version.html", {"item": item, "tables": tables})


@login_required
def version_report(request, pk: int):
    need(request.user, "mujun.manage_data")
    item = get_object_or_404(DataVersion, pk=pk)
    if not item.report_xlsx:
        raise Http404
    response = HttpResponse(
        bytes(item.report_xlsx),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="ingest-report-{pk}.xlsx"'
    return response


# ---------------------------------------------------------------- runs


class RunForm(forms.Form):
    year = forms.IntegerField()
    preset = forms.ModelChoiceField(queryset=Preset.objects.all())
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_LENGTH)


@login_required
def runs(request):
    need(request.user, "mujun.manage_runs")
    current = services.head()
    form = RunForm(
        request.POST or None, initial={"nonce": services.issue_token(request.user, "run")}
    )
    if request.method == "POST" and form.is_valid():
        if current is None:
            messages.error(request, _("No committed data yet."))
        else:
            try:
                run = services.create_run(
                    form.cleaned_data["year"],
                    form.cleaned_data["preset"],
                    current,
                    request.user,
                    nonce=services.token_nonce(form.cleaned_data["nonce"], request.user, "run"),
                )
            except services.ServiceError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("run", pk=run.pk)
    latest_presets = {}
    for p in Preset.objects.order_by("name", "-version"):
        latest_presets.setdefault(p.name, p)
    form.fields["preset"].queryset = Preset.objects.filter(
        pk__in=[p.pk for p in latest_presets.values()]
    )
    # the preset in force: the one the last published run used, else the first
    last = Run.objects.filter(status=Run.Status.PUBLISHED).order_by("-published_at").first()
    if not form.is_bound and latest_presets:
        name = last.preset.name if last else next(iter(latest_presets))
        form.fields["preset"].initial = latest_presets.get(name, last.preset if last else None)
    return render(
        request,
        "web/runs.html",
        {
            "form": form,
            "head": current,
            "runs": Run.objects.select_related("preset", "data", "created_by", "published_by")[:60],
        },
    )


def _transitions(run: Run, other: Run | None) -> tuple[dict, list[dict]]:
    if other is None:
        return {}, []
    before = {
        r["uscc"]: r
        for r in Result.objects.filter(run=other).values("uscc", "grade", "total_score", "values")
    }
    matrix: dict[tuple[str, str], int] = {}
    changed = []
    for r in Result.objects.filter(run=run).values(
        "uscc", "name", "grade", "total_score", "values"
    ):
        b = before.get(r["uscc"])
        if b is None:
            continue
        key = (b["grade"] or "—", r["grade"] or "—")
        matrix[key] = matrix.get(key, 0) + 1
        if b["grade"] != r["grade"]:
            deltas = []
            for k, v in r["values"].items():
                if k.startswith("score_") and isinstance(v, float):
                    deltas.append((v - (b["values"].get(k) or 0.0), k[6:]))
            deltas.sort(key=lambda d: -abs(d[0]))
            why = "；".join(
                f"{INDICATOR_NAMES.get(name, name)} {d:+.2f}"
                for d, name in deltas[:2]
                if abs(d) > 1e-9
            )
            changed.append(
                {
                    "uscc": r["uscc"],
                    "name": r["name"],
                    "before": b["grade"],
                    "now": r["grade"],
                    "score_before": b["total_score"],
                    "score_now": r["total_score"],
                    "why": why,
                }
            )
    changed.sort(key=lambda c: (c["before"] or "Z", c["now"] or "Z", c["uscc"]))
    grades = ["A", "B", "C", "D", "—"]
    table = {g: [matrix.get((g, h), 0) for h in grades] for g in grades}
    return {"grades": grades, "rows": table}, changed


@login_required
def run(request, pk: int):
    need(request.user, "mujun.manage_runs")
    item = get_object_or_404(Run.objects.select_related("preset", "data"), pk=pk)
    if request.method == "POST" and request.POST.get("action") == "publish":
        services.publish_run(item, request.user)
        messages.success(request, _("Published."))
        return redirect("run", pk=pk)
    other = services.published(item.year)
    if other is not None and other.pk == item.pk:
        other = item.supersedes
    matrix, changed = _transitions(item, other)
    return render(
        request,
        "web/run.html",
        {
            "item": item,
            "other": other,
            "matrix": matrix,
            "changed": changed[:200],
            "changed_count": len(changed),
            "later": item.superseded_by.all(),
            "list_names": LIST_NAMES,
        },
    )


@login_required
def run_xlsx(request, pk: int):
    need(request.user, "mujun.export_published")
    item = get_object_or_404(
        Run.objects.defer("published_xlsx"), pk=pk, status=Run.Status.PUBLISHED
    )
    reader = audience(request.user)  # a street office's division; no firm's tax without the right
    record(item, "download published list", request.user, scope=reader.describe())
    response = HttpResponse(
        services.published_workbook(item, reader),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="mujun-{item.year}-run{item.pk}.xlsx"'
    return response


@login_required
def run_pdf(request, pk: int):
    need(request.user, "mujun.export_published")
    item = get_object_or_404(Run, pk=pk, status=Run.Status.PUBLISHED)
    from mujun.web.pdf import run_summary_pdf

    record(item, "download summary", request.user)
    response = HttpResponse(run_summary_pdf(item, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mujun-{item.year}-run{item.pk}.pdf"'
    return response


# ---------------------------------------------------------------- audit


@login_required
def audit(request):
    need(request.user, "mujun.view_audit")
    from auditlog.models import LogEntry

    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})
