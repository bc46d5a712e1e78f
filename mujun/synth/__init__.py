"""A synthetic Zhenhai-like district (`mujun synth`): the canonical tables, calibrated and valid.

`synthesize(enterprises, years, seed)` returns every table of mujun.dataset.schema as Polars frames;
the same arguments always give the same frames. See mujun.synth.district for how it is built and
mujun.synth.profiles for the numbers it is calibrated to.
"""

from mujun.synth.district import synthesize

__all__ = ["synthesize"]
