"""A published run's PDF summary (WeasyPrint with the CJK font shipped in mujun.reports). The same
run gives the same bytes: the document's dates are the publication's, not the clock's."""

from __future__ import annotations

from django.template.loader import render_to_string

from mujun.web import selectors
from mujun.web.models import Result, Run
from mujun.web.roles import audience, scope, shows_tax
from mujun.web.views import LIST_NAMES


def run_summary_pdf(run: Run, user) -> bytes:
    """The summary as `user` may read it: a street office's division only; without tax access, a
    tax aggregate only where it is not one firm's (`selectors.without_firm_tax`)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from mujun.reports.congress import FONT_FAMILY, font_css

    reader = audience(user)
    rows = scope(user, Result.objects.filter(run=run))
    figures = selectors.overview_figures(rows)
    if not shows_tax(user):
        figures = selectors.without_firm_tax(figures)
    context = {
        "run": run,
        "scope": reader.describe(selectors.division_names().get(reader.division or "")),
        "kpi": figures["kpi"],
        "counts": {LIST_NAMES.get(k, k): v for k, v in figures["counts"].items()},
        "divisions": figures["divisions"],
        "industries": [i for i in figures["industries"] if i["tax_per_mu"] is not None][:15],
        "font": FONT_FAMILY,
    }
    html = render_to_string("web/summary_pdf.html", context)
    fonts = FontConfiguration()
    return HTML(string=html).write_pdf(
        stylesheets=[CSS(string=font_css(), font_config=fonts)], font_config=fonts
    )
