"""Preset editing (issue 6): the analyst edits weights, cap and cut shares, previews the
consequences on the current data, and saves a new version; nothing is published by it."""

import pytest

from mujun.methodologies import MethodologyError
from mujun.web.models import Preset, Run

pytestmark = pytest.mark.django_db


def _form(client, name="zhenhai"):
    page = client.get(f"/presets/{name}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    return {k: form[k].initial for k in form.fields if form[k].initial is not None}


def test_unchanged_preview_moves_nobody(login):
    client = login("analyst")
    data = _form(client)
    page = client.post("/presets/zhenhai/edit/", {**data, "action": "preview"})
    assert page.context["preview"]["changed"] == 0


def test_edit_preview_then_save_a_new_version(login):
    client = login("analyst")
    data = _form(client)
    published = Run.objects.filter(status="published").count()
    edited = {**data, "share_A": 0.1, "share_B": 0.6}
    preview = client.post("/presets/zhenhai/edit/", {**edited, "action": "preview"})
    assert preview.context["preview"]["changed"] > 0
    assert Preset.objects.filter(name="zhenhai").count() == 1  # a preview saves nothing
    saved = client.post("/presets/zhenhai/edit/", {**edited, "note": "fewer A", "action": "save"})
    assert saved.status_code == 302
    versions = Preset.objects.filter(name="zhenhai").order_by("version")
    assert [p.version for p in versions] == [1, 2]
    assert (
        versions[1].note == "fewer A"
        and versions[1].methodology_hash != versions[0].methodology_hash
    )
    assert Run.objects.filter(status="published").count() == published
    # a number the form changed has no source; the others keep theirs
    from mujun.web.services import methodology_of

    old, new = methodology_of(versions[0]).provenance, methodology_of(versions[1]).provenance
    assert new["grading.shares.A"].illustrative and new["grading.shares.A"].source == (
        "set in the preset form"
    )
    weight = "groups.above.indicators.0.weight"
    assert new[weight] == old[weight] and not new[weight].illustrative


def test_shares_that_do_not_add_up_are_refused(login):
    client = login("analyst")
    data = _form(client)
    page = client.post("/presets/zhenhai/edit/", {**data, "share_A": 0.9, "action": "save"})
    assert page.status_code == 200 and page.context["form"].errors
    assert Preset.objects.filter(name="zhenhai").count() == 1


def test_only_the_bureau_edits_presets(login):
    for role in ("land", "street", "leader", "enterprise"):
        assert login(role).get("/presets/zhenhai/edit/").status_code == 403


def test_a_version_stored_before_numbers_needed_sources_still_loads():
    from mujun.web.services import methodology_of, save_preset

    old = Preset.objects.create(name="county", version=1, toml=OLD, methodology_hash="x")
    m = methodology_of(old)
    assert m.provenance["groups.above.indicators.0.weight"].illustrative
    with pytest.raises(MethodologyError, match=r"none for: groups\.above\.indicators\.0\.weight"):
        save_preset("county", OLD)


OLD = """name = "county"
title = "a preset saved before issue 13"
[groups.above]
indicators = [{ id = "tax_per_mu", weight = 100 }]
[groups.below]
indicators = [{ id = "tax_per_mu", weight = 100 }]
"""
