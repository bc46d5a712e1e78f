"""The published run's PDF summary: Chinese in the shipped font, and the same bytes every time."""

import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model

from mujun.web.models import Run
from mujun.web.pdf import run_summary_pdf

pytestmark = pytest.mark.django_db


def test_summary_pdf_is_reproducible_and_uses_the_shipped_font(tmp_path):
    run = Run.objects.filter(status="published").order_by("year").last()
    analyst = get_user_model().objects.get(username="analyst")
    first, second = run_summary_pdf(run, analyst), run_summary_pdf(run, analyst)
    assert first.startswith(b"%PDF") and first == second
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "summary.pdf"
    path.write_bytes(first)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Mujun-Sans-SC" in fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert f"{run.year} 年度亩均效益综合评价结果摘要" in text
