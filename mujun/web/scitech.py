"""The sci-tech zone pages (甬江科创区): qualification pipeline, targets and their progress, the tasks
under the People's Congress's supervision, and the special report as PDF. The figures come from
mujun.scitech and mujun.reports.congress over the current committed data."""

from __future__ import annotations

from functools import lru_cache

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mujun.scitech.tasks import Note, Tasks, load_tasks
from mujun.scitech.tasks import Task as TaskSpec
from mujun.web import services
from mujun.web.models import Task, TaskNote
from mujun.web.roles import sees_whole_district
from mujun.web.views import TOKEN_LENGTH, need, published_year

AREAS = {
    "coordination": "统筹协调机制",
    "spatial_planning": "空间规划",
    "platforms_projects": "平台与项目",
    "technology_transfer": "成果转化",
    "talent": "人才",
    "infrastructure": "基础设施",
    "ecosystem": "创新生态",
}


def seed_tasks() -> None:
    """Fill the tracker from the shipped tasks the first time."""
    if Task.objects.exists():
        return
    with transaction.atomic():
        for t in load_tasks().task:
            task = Task.objects.create(
                key=t.id,
                area=t.area,
                title=t.title,
                unit=t.unit,
                due=t.due,
                status=t.status,
                indicators=t.indicators,
            )
            TaskNote.objects.bulk_create(
                TaskNote(task=task, date=n.date, text=n.text) for n in t.notes
            )


def tasks_from_db() -> Tasks:
    seed_tasks()
    return Tasks(
        task=[
            TaskSpec(
                id=t.key,
                area=t.area,
                title=t.title,
                unit=t.unit,
                due=t.due,
                status=t.status,
                notes=[Note(date=n.date, text=n.text) for n in t.notes.all()],
                indicators=t.indicators,
            )
            for t in Task.objects.prefetch_related("notes")
        ]
    )


def report_data(run):
    """The report's figures for a published run's year, from the run's data and preset."""
    tasks = tasks_from_db()
    # the tasks' content is part of the cache key: a new note or status rebuilds the figures
    # ids alone are not a safe key (SQLite reuses the ids of rolled-back rows): add the content hashes
    return _report_data(
        run.data_id,
        run.data.fingerprint,
        run.preset_id,
        run.preset.methodology_hash,
        run.year,
        tasks.model_dump_json(),
    )


@lru_cache(maxsize=8)
def _report_data(
    data_id: int, _fingerprint: str, preset_id: int, _methodology: str, year: int, tasks_json: str
):
    from mujun.reports.congress import report_data_from_dataset
    from mujun.web.models import DataVersion, Preset

    ds = services.load_dataset(DataVersion.objects.get(pk=data_id))
    m = services.methodology_of(Preset.objects.get(pk=preset_id))
    tasks = Tasks.model_validate_json(tasks_json)
    # as of the end of the year, like `mujun report --data`: the same data gives the same report
    return report_data_from_dataset(ds, year, m, tasks=tasks)


@login_required
def zone(request):
    need(request.user, "mujun.view_scitech")
    year, runs = published_year(request)
    data = report_data(runs[year])
    kinds = sorted(set(data.zone_counts["kind"].to_list()))
    years = sorted(set(data.zone_counts["year"].to_list()))
    counts = {
        (r["year"], r["kind"]): r["enterprises"] for r in data.zone_counts.iter_rows(named=True)
    }
    table = [{"kind": k, "values": [counts.get((y, k), 0) for y in years]} for k in kinds]
    import plotly.graph_objects as go

    from mujun.web.views import _figure

    ladder = go.Figure()
    for k in kinds:
        ladder.add_scatter(
            x=years, y=[counts.get((y, k), 0) for y in years], name=k, mode="lines+markers"
        )
    moves = go.Figure()
    if data.ladder.height:
        for kind in sorted(set(data.ladder["to_kind"].to_list())):
            part = data.ladder.filter(data.ladder["to_kind"] == kind)
            moves.add_bar(x=part["year"].to_list(), y=part["moved"].to_list(), name=kind)
        moves.update_layout(barmode="stack")
    tax = go.Figure()
    tax.add_scatter(
        x=data.tax_per_mu["year"].to_list(), y=data.tax_per_mu["zone"].to_list(), name=data.zone
    )
    tax.add_scatter(
        x=data.tax_per_mu["year"].to_list(), y=data.tax_per_mu["district"].to_list(), name="全区"
    )
    tax.update_layout(yaxis_title="亩均税收（万元/亩）")
    show_firms = request.user.has_perm("mujun.manage_runs")
    return render(
        request,
        "web/scitech.html",
        {
            "year": year,
            "years": list(runs),
            "data": data,
            "count_years": years,
            "table": table,
            "targets": data.targets,
            "tasks": Task.objects.prefetch_related("notes"),
            "areas": AREAS,
            "candidates": data.candidates.head(50).to_dicts() if show_firms else None,
            "renewals": data.renewals.head(50).to_dicts() if show_firms else None,
            "figures": {"ladder": _figure(ladder), "moves": _figure(moves), "tax": _figure(tax)},
            "can_edit": request.user.has_perm("mujun.edit_tasks"),
        },
    )


class NoteForm(forms.Form):
    status = forms.ChoiceField(choices=Task.Status.choices)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_LENGTH)


@login_required
def task(request, pk: int):
    need(request.user, "mujun.view_scitech")
    item = get_object_or_404(Task, pk=pk)
    fresh = {"status": item.status, "nonce": services.issue_token(request.user, "task-note")}
    form = NoteForm(request.POST or None, initial=fresh)
    if request.method == "POST":
        need(request.user, "mujun.edit_tasks")
        if form.is_valid():
            try:
                nonce = services.token_nonce(form.cleaned_data["nonce"], request.user, "task-note")
            except services.ServiceError as exc:
                messages.error(request, str(exc))
                return redirect("task", pk=pk)
            services.add_task_note(
                item, form.cleaned_data["status"], form.cleaned_data["text"], request.user, nonce
            )
            messages.success(request, _("Progress note added."))
            return redirect("task", pk=pk)
    return render(
        request,
        "web/task.html",
        {
            "item": item,
            "form": form,
            "areas": AREAS,
            "can_edit": request.user.has_perm("mujun.edit_tasks"),
        },
    )


@login_required
def report_pdf(request):
    need(request.user, "mujun.view_scitech")
    if not sees_whole_district(request.user):
        # the zone's report to the People's Congress spans divisions: not a street office's
        raise PermissionDenied
    from mujun.reports.congress import build_report

    year, runs = published_year(request)
    pdf = build_report(report_data(runs[year]))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="zone-report-{year}.pdf"'
    return response
