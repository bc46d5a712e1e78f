"""A published run's PDF summary (WeasyPrint with the CJK font shipped in mujun.reports). The same
run gives the same bytes: the document's dates are the publication's, not the clock's."""

from __future__ import annotations

from django.template.loader import render_to_string

from mujun.web import selectors
from mujun.web.models import Result, Run
from mujun.web.views import LIST_NAMES


def run_summary_pdf(run: Run) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from mujun.reports.congress import FONT_FAMILY, font_css

    rows = Result.objects.filter(run=run)
    context = {
        "run": run,
        "kpi": selectors.per_mu(rows),
        "counts": {LIST_NAMES.get(k, k): v for k, v in selectors.grade_counts(rows).items()},
        "divisions": selectors.by_division(rows),
        "industries": selectors.by_industry(rows)[:15],
        "font": FONT_FAMILY,
    }
    html = render_to_string("web/summary_pdf.html", context)
    fonts = FontConfiguration()
    return HTML(string=html).write_pdf(
        stylesheets=[CSS(string=font_css(), font_config=fonts)], font_config=fonts
    )
