"""Presets in the web app (issue 6): an analyst edits a preset's weights, score cap and grade shares
in a form, previews the consequences on the current data (grade transitions, who changes, surcharge
and relief totals) before anything is published, and saves the edit as a new version. A run names
the preset version it used; versions never change."""

from __future__ import annotations

import tomli_w
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mujun.engine import evaluate
from mujun.engine.compare import compare
from mujun.methodologies import MethodologyError, parse_methodology
from mujun.web import selectors, services
from mujun.web.models import Preset
from mujun.web.views import INDICATOR_NAMES, need

GRADES = ("A", "B", "C", "D")


def _latest(name: str) -> Preset:
    preset = Preset.objects.filter(name=name).order_by("-version").first()
    if preset is None:
        raise Http404
    return preset


def edit_form(methodology, data=None) -> forms.Form:
    """A form with one field per group indicator weight, the cap and the four grade shares."""
    fields: dict[str, forms.Field] = {}
    for group, spec in methodology.groups.items():
        for ind in spec.indicators:
            fields[f"w__{group}__{ind.id}"] = forms.FloatField(
                label=f"{group} · {INDICATOR_NAMES.get(ind.id, ind.id)}",
                min_value=0.0001,
                initial=ind.weight,
            )
    fields["cap"] = forms.FloatField(
        label=_("Score cap (× weight; empty = none)"),
        required=False,
        min_value=0.0001,
        initial=methodology.scoring.cap,
    )
    for g in GRADES:
        fields[f"share_{g}"] = forms.FloatField(
            label=_("Share of grade %(g)s") % {"g": g},
            min_value=0,
            max_value=1,
            initial=methodology.grading.shares.get(g),
        )
    fields["note"] = forms.CharField(label=_("Why (recorded with the version)"), required=False)
    form_class = type("PresetForm", (forms.Form,), fields)
    return form_class(data)


def _entry(old: dict | None, value: float) -> dict:
    """A number the form sets: its provenance when unchanged, else illustrative (the form has no
    source; the version's note says why)."""
    if old is not None and old["value"] == value:
        return old
    return {"value": value, "illustrative": True, "source": "set in the preset form"}


def edited(methodology, cleaned: dict):
    """The methodology with the form's values (validated by the typed model)."""
    raw = methodology.preset_data()
    for group, spec in raw["groups"].items():
        for ind in spec["indicators"]:
            ind["weight"] = _entry(ind["weight"], cleaned[f"w__{group}__{ind['id']}"])
    if cleaned.get("cap") is None:
        raw["scoring"].pop("cap", None)
    else:
        raw["scoring"]["cap"] = _entry(raw["scoring"].get("cap"), cleaned["cap"])
    shares = raw["grading"]["shares"]
    raw["grading"]["shares"] = {g: _entry(shares.get(g), cleaned[f"share_{g}"]) for g in GRADES}
    text = tomli_w.dumps(raw)
    return parse_methodology(text, "edited preset"), text


@login_required
def presets(request):
    need(request.user, "mujun.edit_presets")
    return render(
        request, "web/presets.html", {"presets": Preset.objects.select_related("created_by")}
    )


@login_required
def edit(request, name: str):
    need(request.user, "mujun.edit_presets")
    base = _latest(name)
    m = services.methodology_of(base)
    form = edit_form(m, request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            new, text = edited(m, form.cleaned_data)
        except MethodologyError as exc:
            form.add_error(None, str(exc))
        else:
            if request.POST.get("action") == "save":
                version = services.save_preset(name, text, request.user, form.cleaned_data["note"])
                messages.success(request, _("Saved as %(p)s.") % {"p": version})
                return redirect("presets")
            preview = _preview(m, new)
    return render(request, "web/preset_edit.html", {"base": base, "form": form, "preview": preview})


def _preview(a, b) -> dict | None:
    """The consequences of an edit on the current data's latest published year."""
    runs = selectors.published_runs()
    head = services.head()
    if not runs or head is None:
        return None
    year = max(runs)
    ds = services.load_dataset(head)
    c = compare(evaluate(ds, year, a), evaluate(ds, year, b))
    return {
        "year": year,
        "transitions": c.transitions.to_dicts(),
        "columns": c.transitions.columns,
        "changed": c.changed.height,
        "changed_rows": c.changed.head(100).to_dicts(),
        "totals": c.totals.to_dicts(),
        "totals_columns": c.totals.columns,
        "by_division": c.by_division.to_dicts(),
        "division_columns": c.by_division.columns,
    }
