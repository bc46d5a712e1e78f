"""Vetoes (一票否决) a firm's own data trigger, beside the event kinds of `events`: an industry the
preset lists as 淘汰类 (产业结构调整指导目录) and energy use above the firm's quota (用能超限额).

The c.2014 provincial guidance puts in D the firms "banned or to be eliminated under industrial
policy" and those failing energy-quota standards (methodology-sources.md §4); the preset says which
apply. Each veto is a phrase in the firm's reason.
"""

from __future__ import annotations

import polars as pl

from mujun.engine.methodology import Methodology


def veto_reasons(m: Methodology, year: int, event_kinds: pl.Expr) -> pl.Expr:
    """Per firm, every veto that hits it in `year` ('; '-separated phrases), or "" for none.
    `event_kinds` holds the firm's veto events of the year, ', '-joined (null for none)."""
    notes = [
        pl.when(event_kinds.fill_null("") != "").then(
            pl.format("{} in {}", event_kinds, pl.lit(year))
        )
    ]
    for veto in m.industry_vetoes:
        notes.append(
            pl.when(pl.col("industry_code").str.starts_with(veto.code)).then(
                pl.format(
                    "淘汰类 industry {} ({}: {}) (产业结构调整指导目录)",
                    pl.col("industry_code"),
                    pl.lit(veto.code),
                    pl.lit(veto.item),
                )
            )
        )
    quota = m.energy_quota
    if quota.veto:
        limit = pl.col("energy_quota_tce") * (1 + quota.tolerance)
        notes.append(
            pl.when(pl.col("energy_tce") > limit).then(
                pl.format(
                    "energy use {} tce above its quota {} tce{} in {} (超用能限额)",
                    pl.col("energy_tce").round(2),
                    pl.col("energy_quota_tce").round(2),
                    pl.lit(f" + {quota.tolerance:.0%}" if quota.tolerance else ""),
                    pl.lit(year),
                )
            )
        )
    return pl.concat_str(notes, separator="; ", ignore_nulls=True).fill_null("")
