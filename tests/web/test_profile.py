"""The enterprise profile: what its grade brings it this year, each amount with its label."""

from __future__ import annotations

import pytest

from mujun.web import services
from mujun.web.models import Result

pytestmark = pytest.mark.django_db


def _graded_d_firm() -> Result:
    run = services.published(2022)
    return Result.objects.filter(run=run, grade="D", status="evaluated").order_by("uscc").first()


@pytest.mark.parametrize("role", ["analyst", "leader"])
def test_the_profile_lists_what_the_grade_brings(login, role):
    firm = _graded_d_firm()
    response = login(role).get(f"/enterprises/{firm.uscc}/")
    measures = {m["label"]: m["value"] for m in response.context["measures"]}
    assert measures["差别电费（万元）"] == pytest.approx(firm.values["surcharge"])
    assert measures["用能指标削减（吨标煤）"] == pytest.approx(
        firm.values["lever_energy_quota_cut"]
    )
    assert measures["用能指标削减（吨标煤）"] > 0  # a D firm's quota is cut
    page = response.content.decode()
    assert 'id="measures"' in page and "用能指标削减（吨标煤）" in page
    # the land-use-tax relief's tier is set by the firm's tax: only with the right to see it
    assert ("土地使用税减免（万元）" in measures) == (role == "analyst")
