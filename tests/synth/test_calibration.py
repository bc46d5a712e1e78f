"""The demo district against Zhenhai's public figures (mujun.synth.calibration, docs/synth-calibration.md).

The demo is `mujun synth --enterprises 3000 --years 2016-2022 --seed 7`; totals and counts are scaled
to full size (profiles.FULL_SIZE firms) before they are compared, ratios and medians are not. Each
target states its band: ±10 % for value added and output, ±15 % for R&D and the petrochemical block,
±20 % for the R&D-test failures, ±30 % for the park's tax (a different perimeter), and the ranges
given in calibration.TARGETS for the rest. Other seeds must land within twice the band's half-width.
"""

from __future__ import annotations

import pytest

from mujun.synth import synthesize
from mujun.synth.calibration import TARGETS, extras, measure
from mujun.synth.profiles import FULL_SIZE

YEARS = range(2016, 2023)


def _misses(values: dict[str, float], widen: float = 1.0) -> list[str]:
    out = []
    for t in TARGETS:
        mid, half = (t.low + t.high) / 2, (t.high - t.low) / 2 * widen
        low, high = mid - half, mid + half
        v = values[t.key]
        if not low <= v <= high:
            out.append(f"{t.key} = {v:.3f}, not in [{low:.3f}, {high:.3f}] (public {t.public})")
    return out


@pytest.fixture(scope="module")
def demo():
    return synthesize(3000, YEARS, 7)


def test_targets_are_well_formed():
    keys = [t.key for t in TARGETS]
    assert len(keys) == len(set(keys))
    for t in TARGETS:
        assert t.low < t.high, t.key
        assert t.source, t.key


def test_the_demo_district_matches_zhenhai(demo):
    values = measure(demo)
    assert set(values) == {t.key for t in TARGETS}
    assert _misses(values) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds_stay_near(seed):
    assert _misses(measure(synthesize(3000, YEARS, seed)), widen=2.0) == []


def test_totals_scale_with_the_number_of_firms():
    """A district of a third of full size gives the same figures once scaled (within twice the
    band): the refinery and the rest shrink together."""
    assert _misses(measure(synthesize(FULL_SIZE // 3, YEARS, 7)), widen=2.0) == []


def test_the_plausibility_figures(demo):
    """Figures with no band of their own, against the public ranges they are read beside."""
    x = extras(demo)
    assert 20 <= x["above_tax_per_mu_median"] <= 45  # ZJ 2021 aggregate 28.1; Ningbo 2018 43.2
    assert 80 <= x["above_va_per_mu_median"] <= 160  # ZJ 2021 aggregate 135.7
    assert 0.01 <= x["above_rd_intensity"] <= 0.025  # 41.7亿 ÷ about 3000亿 of revenue: 1.3 %
