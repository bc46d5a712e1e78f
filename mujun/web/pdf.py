"""A published run's PDF summary (WeasyPrint, Chinese with the Noto CJK font)."""

from __future__ import annotations

from django.template.loader import render_to_string

from mujun.web import selectors
from mujun.web.models import Result, Run


def run_summary_pdf(run: Run) -> bytes:
    from weasyprint import HTML

    rows = Result.objects.filter(run=run)
    context = {
        "run": run,
        "kpi": selectors.per_mu(rows),
        "counts": selectors.grade_counts(rows),
        "divisions": selectors.by_division(rows),
        "industries": selectors.by_industry(rows)[:15],
    }
    html = render_to_string("web/summary_pdf.html", context)
    return HTML(string=html).write_pdf(metadata={"created": None})
