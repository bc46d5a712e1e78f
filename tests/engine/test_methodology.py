"""Presets are validated data with a stable hash; an invalid one is refused with key and reason."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from mujun.engine.methodology import DEFAULT, Provenance
from mujun.methodologies import MethodologyError, available, load_methodology, parse_methodology

PRESET = load_methodology("zhenhai")


THRESHOLDS = next(
    line + "\n"
    for line in resources.files("mujun.methodologies")
    .joinpath("zhenhai.toml")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.startswith("thresholds = ")
)


def zhenhai_text() -> str:
    from importlib import resources

    return (
        resources.files("mujun.methodologies").joinpath("zhenhai.toml").read_text(encoding="utf-8")
    )


def test_shipped_presets_load():
    assert available() == ["huangyan-2022", "zhenhai", "zhenhai-dongyang"]
    huangyan = load_methodology("huangyan-2022")
    assert [s.weight for s in huangyan.groups["above"].indicators] == [30, 20, 20, 10, 10, 10]
    assert huangyan.scoring.cap is None
    assert huangyan.scoring.missing_rule("va_per_emission") == "group_average"
    assert huangyan.scoring.missing_rule("va_per_energy") == "no_data"
    assert PRESET.land.tenant_policy == "separate"


def test_zhenhai_benchmarks_by_industry_class_without_a_cap_or_a_d_quota():
    above = PRESET.groups["above"]
    assert above.benchmark == "median" and above.classes is not None
    assert above.classes.min_firms == 10 and above.classes.small == "pooled"
    assert PRESET.scoring.cap is None  # no Zhejiang source caps a score
    assert PRESET.scoring.missing_denominator == "no_data"
    assert PRESET.scoring.group_average_for == ["va_per_emission"]  # 黄岩's rule, emissions only
    for name in ("above", "below", "below_small", "tenant"):
        rule = PRESET.grading.rule(name)
        assert rule.method == "both" and rule.shares["D"] == 0.0, name
        assert rule.floors() == {"C": 50.0, "B": 50.0, "A": 50.0}


def line_of(text: str, key: str) -> str:
    """A preset's `key = { value = …, source = "…" }` line."""
    return next(line for line in text.splitlines() if line.startswith(f"{key} = "))


def test_the_hash_ignores_comments_and_key_order_but_not_content():
    text = zhenhai_text()
    assert len(PRESET.digest()) == 64
    assert PRESET.digest() == load_methodology("zhenhai").digest()
    commented = "# a county's note\n" + text.replace(
        "[scoring]\nmissing", "[scoring]\n# no cap\nmissing"
    )
    assert parse_methodology(commented, "x").digest() == PRESET.digest()
    reordered = text.replace(
        'missing_denominator = "no_data"\ngroup_average_for = ["va_per_emission"]',
        'group_average_for = ["va_per_emission"]\nmissing_denominator = "no_data"',
    )
    assert reordered != text and parse_methodology(reordered, "x").digest() == PRESET.digest()
    changed = text.replace("[scoring]\n", '[scoring]\ncap = { value = 2.5, source = "县" }\n')
    assert parse_methodology(changed, "x").digest() != PRESET.digest()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("weight = 30", "weight = 0"),
            "groups.above.indicators.0.weight: Input should be greater than 0",
        ),
        (
            ('id = "tax_per_mu", weight = 30', 'id = "tax_per_acre", weight = 30'),
            "unknown indicator 'tax_per_acre'",
        ),
        (("A = 0.25, B = 0.45", "A = 0.30, B = 0.45"), "shares must be ≥ 0 and add up to 1"),
        (('tenant_policy = "separate"', 'tenant_policy = "shared"'), "land.tenant_policy"),
        (("[scoring]", "[scoring]\ncapp = true"), "scoring.capp: Extra inputs are not permitted"),
        (
            ('benchmark = "median"', 'benchmark = "fixed"'),
            "benchmark 'fixed' needs fixed values by year",
        ),
        (
            ('benchmark = "median"', 'benchmark = "industry_division"'),
            "industry classes take benchmark aggregate, mean or median",
        ),
        (("min_firms = 10", "min_firms = 0"), "groups.above.classes.min_firms"),
        (("min_firms = 10,", 'min_firms = 10, merge = { "石化" = ["25", "2"] },'), "not a 2-digit"),
        (
            ("min_firms = 10,", 'min_firms = 10, merge = { a = ["25"], b = ["25", "26"] },'),
            "division 25 is in two classes",
        ),
        (('small = "pooled"', 'small = "other"'), "groups.above.classes.small"),
        (('["va_per_emission"]', '["va_per_emissions"]'), "unknown indicator 'va_per_emissions'"),
        (
            ('missing_denominator = "no_data"', 'missing_denominator = "skip"'),
            "missing_denominator",
        ),
        ((THRESHOLDS, ""), "method 'both' needs thresholds"),
        (("{ C = 50.0 }", "{ B = 40.0, C = 50.0 }"), "A ≥ B ≥ C"),
        (('method = "both"', 'method = "thresholds"'), "thresholds need A, B and C"),
        (("[grading]", '[grading.lists.tenants]\nmethod = "shares"\n[grading]'), "grading.lists"),
        (("[groups.below]", "[groups.below_scale]"), "groups.below_scale"),
        (
            ("min_own_land_mu = { value = 3.0", "min_own_land_mu = { value = -1"),
            "population.min_own_land_mu",
        ),
        (
            ("[[1.0, 0.6], [2.0, 0.9]", "[[2.0, 0.6], [1.0, 0.9]"),
            "tiers must ascend",
        ),
    ],
)
def test_an_invalid_preset_is_refused_with_key_and_reason(edit, message):
    old, new = edit
    text = zhenhai_text()
    assert old in text
    with pytest.raises(MethodologyError) as err:
        parse_methodology(text.replace(old, new, 1), "county.toml")
    assert "county.toml: invalid methodology" in str(err.value)
    assert message in str(err.value)


def test_not_toml_and_not_found():
    with pytest.raises(MethodologyError, match="not valid TOML"):
        parse_methodology("cap = = 3", "x.toml")
    with pytest.raises(MethodologyError, match="not a preset"):
        load_methodology("no-such-preset")


def test_parcel_indicators_must_be_per_mu():
    text = zhenhai_text().replace(
        '{ id = "va_per_mu", weight = 40', '{ id = "va_per_energy", weight = 40'
    )
    with pytest.raises(MethodologyError, match="parcel indicators must be per mu of land"):
        parse_methodology(text, "x")


def test_a_preset_extends_another_with_only_what_differs():
    """zhenhai-dongyang is zhenhai with 东阳's low-efficiency rule: everything else is zhenhai's."""
    variant = load_methodology("zhenhai-dongyang")
    assert variant.name == "zhenhai-dongyang"
    assert (variant.lowland.tax_per_mu_below, variant.lowland.industry_share_below) == (5.0, 0.5)
    assert (PRESET.lowland.tax_per_mu_below, PRESET.lowland.min_area_mu) == (4.0, 3.0)
    same = {"groups", "scoring", "grading", "tax", "policy", "access", "land", "vetoes"}
    assert {k: getattr(variant, k) for k in same} == {k: getattr(PRESET, k) for k in same}
    # a table laid over merges key by key (idle_years kept); an unknown parent is refused
    assert variant.lowland.idle_years == PRESET.lowland.idle_years
    with pytest.raises(MethodologyError, match="extends = 'nowhere'"):
        parse_methodology('extends = "nowhere"\nname = "x"', "x.toml")
    # and a county file may extend a shipped preset too
    county = parse_methodology('extends = "zhenhai"\nname = "county"\ntitle = "县"', "county.toml")
    assert county.groups == PRESET.groups and county.name == "county"


def test_a_number_without_a_source_is_refused_with_its_path():
    text = zhenhai_text()
    days = line_of(text, "objection_days")
    for bare in (
        "objection_days = 5",
        "objection_days = { value = 5 }",
        "objection_days = { value = 5, illustrative = false }",
        'objection_days = { value = 5, source = " " }',
    ):
        with pytest.raises(MethodologyError) as err:
            parse_methodology(text.replace(days, bare), "county.toml")
        assert 'source = "…" or illustrative = true' in str(err.value)
        assert "none for: publication.objection_days" in str(err.value)
    # an item table's source covers its numbers; without it, each is named
    below = re.sub(r'(weight = 50), source = "[^"]*"', r"\1", text)
    assert below.count("weight = 50 }") == 2
    with pytest.raises(MethodologyError) as err:
        parse_methodology(below, "county.toml")
    assert "none for: groups.below.indicators.0.weight, groups.below.indicators.1.weight" in str(
        err.value
    )
    # a table's provenance covers what it holds, nested tables too: [commitments] and its clawback
    keys = re.search(r"\[commitments\]\n(illustrative = true\nsource = .*\n)", text)
    with pytest.raises(MethodologyError) as err:
        parse_methodology(text.replace(keys.group(1), ""), "county.toml")
    assert "commitments.grace_years, commitments.tolerance, commitments.clawback." in str(err.value)


def test_every_number_has_a_provenance_and_the_illustrative_ones_are_listed():
    paths = dict(PRESET.provenance)
    assert "groups.above.indicators.0.weight" in paths and "grading.shares.D" in paths
    assert "黄岩 2022" in paths["groups.above.indicators.0.weight"].source
    assert not paths["groups.above.indicators.0.weight"].illustrative
    assert paths["rd_test.min_intensity"].source.startswith("镇海 R&D test")
    assert not paths["access.thresholds.tax_per_mu.min"].illustrative  # a Threshold's own source
    listed = {path: (value, why) for path, value, why in PRESET.illustrative()}
    assert listed["publication.objection_days"][0] == 5
    assert listed["publication.objection_days"][1].startswith("巢湖 2022 (Anhui, not Zhejiang)")
    assert listed["groups.above.classes.min_firms"][0] == 10  # mujun's class size
    assert listed["access.by_industry.0.thresholds.investment_per_mu.min"][0] == 800.0
    assert "access.by_industry.0.thresholds.plot_ratio.min" not in listed  # 镇海's 石化开发区
    assert not {"rd_test.min_expense", "groups.above.indicators.0.weight"} & set(listed)
    # defaults have no source; unused ones (a division's min_peers under class benchmarks) are
    # not listed
    assert paths["groups.above.min_peers"] == DEFAULT and "groups.above.min_peers" not in listed
    assert "grading.thresholds.C" in listed  # grading by both: shares and the D floor
    evaluation = {path for path, _, _ in PRESET.illustrative(evaluation=True)}
    assert "grading.shares.D" in evaluation
    assert not {p for p in evaluation if p.startswith(("access.", "commitments.", "lowland."))}
    huangyan = load_methodology("huangyan-2022")
    shown = {path: why for path, _, why in huangyan.illustrative()}
    assert shown["grading.shares.D"] == DEFAULT.source  # 黄岩 publishes no cuts
    assert "grading.thresholds.A" not in shown  # unused when grading by shares
    assert not any(p.startswith(("groups.above.indicators", "policy.", "rd_test")) for p in shown)


def test_numbers_set_in_code_are_unsourced_and_sources_are_hashed():
    import tomli_w

    from mujun.engine.methodology import Methodology

    assert Methodology.model_validate(PRESET.model_dump()).digest() == PRESET.digest()
    data = PRESET.model_dump()
    data["groups"]["above"]["indicators"][0]["weight"] = 35.0
    del data["provenance"]["groups.above.indicators.0.weight"]
    coded = Methodology.model_validate(data)  # code may pass bare numbers: they are unsourced
    assert coded.provenance["groups.above.indicators.0.weight"].illustrative
    # the preset form reads back to the same methodology, provenance included
    again = parse_methodology(tomli_w.dumps(PRESET.preset_data()), "dumped")
    assert again.digest() == PRESET.digest() and again.provenance == PRESET.provenance
    text = zhenhai_text()
    resourced = text.replace("its share is not public", "its share is not published")
    assert parse_methodology(resourced, "x").digest() != PRESET.digest()


def test_a_variant_brings_its_own_provenance():
    variant = load_methodology("zhenhai-dongyang")
    assert variant.provenance["lowland.tax_per_mu_below"].source.startswith("东阳: 亩产税收 < 5")
    assert variant.provenance["lowland.idle_years"] == PRESET.provenance["lowland.idle_years"]
    head = 'extends = "zhenhai"\nname = "county"\ntitle = "县"\n'
    # zhenhai's [commitments] keys cover zhenhai's numbers there, not one the variant writes
    with pytest.raises(MethodologyError, match=r"none for: commitments\.grace_years"):
        parse_methodology(head + "[commitments]\ngrace_years = 2\n", "county.toml")
    # a number laid over an annotated one replaces it whole, with its own provenance
    county = parse_methodology(
        head + '[scoring]\ncap = { value = 2.0, source = "县 2024 办法" }\n', "county.toml"
    )
    assert county.scoring.cap == 2.0
    assert county.provenance["scoring.cap"] == Provenance(source="县 2024 办法")
    assert "scoring.cap" not in {path for path, _, _ in county.illustrative()}


def test_zhenhai_exempts_on_application_and_vetoes_as_the_sources_say():
    """Issue 13 items 6–7: no exemption by age (江山 exempts on application), firms past their
    promised production date evaluated (遂昌), the 淘汰类 and energy-quota vetoes, 出口退税 counted
    (宁波), no one-off-tax subtraction (no source)."""
    ex = PRESET.exemptions
    assert ex.on_application and ex.past_due_evaluated
    assert ex.min_years_registered == 0 and ex.new_land_years == 0
    assert "obsolete_capacity" in PRESET.vetoes and PRESET.energy_quota.veto
    assert PRESET.energy_quota.source
    assert PRESET.tax.export_refund and not PRESET.tax.one_off_tax
    huangyan = load_methodology("huangyan-2022")
    assert not huangyan.tax.export_refund and not huangyan.exemptions.on_application
