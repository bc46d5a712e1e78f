"""Events, qualifications, projects and talents of the synthetic district.

Events are drawn per firm-year: vetoes (safety_fatal, env_major, tax_dishonest) about 0.3 % of
firm-years with at least one in the last year, deductions (env_minor, safety_minor) about 1 %,
and the very rare policy relocation. Qualifications come in chains: 高新技术企业 for three years
and renewed, 科技型中小企业 registered year by year, 专精特新 and 小巨人 for three years, the rest
(listed, 研发中心, 数字化车间 …) from a date on. Projects are the land deals of firms on new land
plus a few projects still looking for a site; talents are counts of high-level talents by
Ningbo's classes A–E.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.methodology import Tax
from mujun.engine.tax import adjusted_tax
from mujun.synth import profiles as P

if TYPE_CHECKING:
    from mujun.synth.district import _District

LAST_DAY = P.LAST_DAY


def registers(d: _District) -> dict[str, pl.DataFrame]:
    quals = qualifications(d)
    return {
        "events": events(d),
        "qualifications": quals,
        "projects": projects(d),
        "talents": talents(d, quals),
    }


def _jan1(year: np.ndarray) -> np.ndarray:
    return (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]")


def events(d: _District) -> pl.DataFrame:
    rng = d.rng
    firm, t = d.row_firm, d.row_t
    rows = len(firm)
    sector = d.sector[firm]
    chemical = np.isin(sector, [P.REFINING, P.PETROCHEM_MAJOR, P.CHEMICAL])
    heavy = chemical | (sector == P.MACHINERY) | (sector == P.UTIL)
    owner = d.arch[firm] != P.TENANT
    odds = {
        "safety_fatal": np.where(heavy, 0.0015, 0.0008),
        "env_major": np.where(chemical, 0.004, 0.0010),
        "tax_dishonest": np.full(rows, 0.0012),
        "env_minor": np.where(chemical, 0.012, 0.004),
        "safety_minor": np.where(heavy, 0.007, 0.004),
        "relocation": np.where(owner, 0.0002, 0.0),
    }
    found_firm, found_year, found_kind = [], [], []
    for kind, p in odds.items():
        hit = np.flatnonzero(rng.random(rows) < p)
        found_firm.append(firm[hit])
        found_year.append(t[hit])
        found_kind.append(np.full(len(hit), kind))
    veto_last = any(
        np.any(y == d.ty - 1) for y, k in zip(found_year, odds, strict=True) if k in P.VETO_KINDS
    )
    if not veto_last:  # every district shows a veto in its last year
        last = np.flatnonzero((t == d.ty - 1) & d.row_scale)
        if len(last) == 0:
            last = np.flatnonzero(t == d.ty - 1)
        pick = last[rng.integers(0, len(last))]
        found_firm.append(firm[[pick]])
        found_year.append(t[[pick]])
        found_kind.append(np.array(["env_major"]))
    f = np.concatenate(found_firm)
    return pl.DataFrame(
        {
            "uscc": d.uscc.gather(f),
            "year": d.years[np.concatenate(found_year)],
            "kind": pl.Series(np.concatenate(found_kind), dtype=pl.String),
        }
    ).with_columns(note=pl.col("kind").replace_strict(P.EVENT_NOTES, return_dtype=pl.String))


def _open(n: int) -> np.ndarray:
    """No end date."""
    return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")


class _Quals:
    """Collects qualification rows as arrays."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, firm, kind, level, valid_from, valid_to) -> None:
        n = len(firm)
        level = np.broadcast_to(np.asarray(level, dtype=object), (n,))
        self.parts.append((firm, kind, level, valid_from, valid_to))

    def frame(self, d: _District) -> pl.DataFrame:
        firm = np.concatenate([p[0] for p in self.parts])
        kind = np.concatenate([np.full(len(p[0]), p[1]) for p in self.parts])
        level = np.concatenate([p[2] for p in self.parts])
        valid_from = np.concatenate([p[3] for p in self.parts])
        valid_to = np.concatenate([p[4] for p in self.parts])
        return pl.DataFrame(
            {
                "uscc": d.uscc.gather(firm),
                "kind": kind,
                "level": pl.Series(level, dtype=pl.String),
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )


def _window(d: _District, firm: np.ndarray, lead: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """First and last year a qualification of `firm` may start: active, and registered before."""
    first = np.maximum(d.years[d.start[firm]] - lead, d.established_year[firm] + 1)
    last = d.years[d.end[firm]]
    return first, last


def _chain(
    d: _District,
    firm: np.ndarray,
    start: np.ndarray,
    last: np.ndarray,
    period: int,
    blocks: np.ndarray | None,
    day_lo: int,
    day_hi: int,
):
    """Rows for certificates renewed every `period` years from `start` while ≤ `last`."""
    count = (last - start) // period + 1
    if blocks is not None:
        count = np.minimum(count, blocks)
    rows = np.repeat(np.arange(len(firm)), count)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    year = start[rows] + offset * period
    day = d.rng.integers(day_lo, day_hi + 1, len(rows))
    valid_from = _jan1(year) + day.astype("timedelta64[D]")
    valid_to = _jan1(year + period) + (day - 1).astype("timedelta64[D]")
    return firm[rows], valid_from, valid_to


def qualifications(d: _District) -> pl.DataFrame:
    rng, n = d.rng, d.n
    arch, sector = d.arch, d.sector
    tech = np.isin(sector, P.TECH_SECTORS)
    electronics = sector == P.ELECTRONICS
    above, giant = arch == P.ABOVE, arch == P.GIANT
    small = np.isin(arch, [P.BELOW, P.SMALL, P.TENANT])
    q = _Quals()
    nat = "national"

    def pick(p: np.ndarray) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < p)

    def in_window(firm: np.ndarray, lead: int = 0, spread: int | None = None):
        first, last = _window(d, firm, lead)
        ok = first <= last
        firm, first, last = firm[ok], first[ok], last[ok]
        hi = last if spread is None else np.minimum(last, first + spread)
        start = first + np.floor(rng.random(len(firm)) * (hi - first + 1)).astype(np.int64)
        return firm, start, last

    # 高新技术企业: three-year certificates (issued Oct–Nov), mostly renewed
    p = np.where(tech & above, 0.17, np.where(tech & small, 0.03, 0.0)) * np.where(
        electronics, 1.8, 1
    )
    p = np.where(giant, 0.5, p)
    firm, start, last = in_window(pick(p), lead=2, spread=2)
    blocks = np.where(rng.random(len(firm)) < 0.15, 1, 99)
    f, vf, vt = _chain(d, firm, start, last, 3, blocks, 280, LAST_DAY)
    q.add(f, "high_tech", nat, vf, vt)
    # 科技型中小企业: registered each year (Mar–Jul), valid to the year's end
    p = np.where(tech & small, 0.35, np.where(tech & above, 0.15, 0.0))
    firm, start, last = in_window(pick(p), spread=3)
    length = rng.geometric(0.2, len(firm))
    last = np.minimum(last, start + length - 1)
    f, vf, _ = _chain(d, firm, start, last, 1, None, 60, 200)
    vt = _jan1(vf.astype("datetime64[Y]").astype(np.int64) + 1971) - np.timedelta64(1, "D")
    q.add(f, "tech_sme", "provincial", vf, vt)
    # 专精特新 (provincial), and 小巨人 (national) for some of them
    p = np.where(tech & above, 0.05, np.where(tech & small, 0.008, 0.0))
    firm, start, last = in_window(pick(p))
    f, vf, vt = _chain(d, firm, start, last, 3, np.full(len(firm), 2), 150, 300)
    q.add(f, "srdi", "provincial", vf, vt)
    giant_ok = above[firm] & (rng.random(len(firm)) < 0.2) & (start + 1 <= last)
    lg_firm, lg_start, lg_last = firm[giant_ok], start[giant_ok] + 1, last[giant_ok]
    f, vf, vt = _chain(d, lg_firm, lg_start, lg_last, 3, None, 150, 300)
    q.add(f, "little_giant", nat, vf, vt)
    # 隐形冠军 (provincial), 单项冠军 (national): three years, renewed
    for kind, level, prob in (("hidden_champion", "provincial", 0.006), ("champion", nat, 0.002)):
        p = np.where(tech & above, prob, 0.0)
        if kind == "champion":
            p = np.where(giant, 0.25, p)
        firm, start, last = in_window(pick(p))
        f, vf, vt = _chain(d, firm, start, last, 3, None, 100, 300)
        q.add(f, kind, level, vf, vt)
    # open-ended: listed, unicorns (one-year list), R&D centres, digital / smart / green factories
    boards = np.array(["sse", "szse", "chinext", "star", "bse"], dtype=object)
    p = np.where(giant, 0.5, np.where(above, 0.006, 0.0))
    firm, start, _ = in_window(pick(p), lead=0)
    f, vf, _ = _chain(d, firm, start, start, 1, None, 0, LAST_DAY)
    q.add(f, "listed", boards[rng.integers(0, len(boards), len(f))], vf, _open(len(f)))
    science = np.isin(d.division, [P.LUOTUO, P.ZHUANGSHI])
    p = np.where(electronics & science & ~small, 0.012, np.where(electronics & science, 0.002, 0.0))
    firm, start, last = in_window(pick(p))
    f, vf, vt = _chain(d, firm, start, last, 1, np.full(len(firm), 1), 0, 250)
    q.add(f, "unicorn", nat, vf, vt)
    for kind, p_above, p_giant in (
        ("rd_centre", 0.08, 0.8),
        ("digital_workshop", 0.03, 0.2),
        ("smart_factory", 0.01, 0.5),
        ("green_factory", 0.02, 0.5),
    ):
        p = np.where(giant, p_giant, np.where(above, p_above * np.where(tech, 1.5, 1.0), 0.0))
        firm, start, _ = in_window(pick(p))
        f, vf, _ = _chain(d, firm, start, start, 1, None, 0, LAST_DAY)
        level = np.where(rng.random(len(f)) < 0.6, "provincial", "municipal").astype(object)
        q.add(f, kind, level, vf, _open(len(f)))
    return q.frame(d)


def talents(d: _District, quals: pl.DataFrame) -> pl.DataFrame:
    """High-level talents (Ningbo classes A–E) of sci-tech firms, per active year."""
    rng = d.rng
    holders = quals.filter(pl.col("kind").is_in(["high_tech", "srdi", "unicorn", "listed"]))
    keen = np.zeros(d.n, dtype=bool)
    keen[np.flatnonzero(d.uscc.is_in(holders.get_column("uscc").implode()).to_numpy())] = True
    science = np.isin(d.division, [P.LUOTUO, P.ZHUANGSHI]) & (d.sector == P.ELECTRONICS)
    keen |= science
    row = np.flatnonzero(keen[d.row_firm])
    firm, t = d.row_firm[row], d.row_t[row]
    size = np.select([d.arch[firm] == P.GIANT, d.arch[firm] == P.ABOVE], [6.0, 1.5], 0.6)
    rates = np.array([0.01, 0.03, 0.08, 0.25, 0.7])
    counts = rng.poisson(size[:, None] * rates[None, :])
    r, lv = np.nonzero(counts)
    return pl.DataFrame(
        {
            "uscc": d.uscc.gather(firm[r]),
            "year": d.years[t[r]],
            "level": np.array(P.TALENT_LEVELS)[lv],
            "count": counts[r, lv].astype(np.int64),
        }
    )


def projects(d: _District) -> pl.DataFrame:
    """Land deals of firms on new land, and projects still looking for a site."""
    rng = d.rng
    p = d.parcel_table
    deal = np.flatnonzero(p["new_land"])
    m = len(deal)
    owner = p["owner"][deal]
    area = p["area"][deal]
    floor = np.where(
        p["floor"][deal] > 0, p["floor"][deal], np.floor(area * rng.uniform(1.2, 2.0, m))
    )
    signed = d.parcel_granted[deal] - rng.integers(30, 181, m).astype("timedelta64[D]")
    due = d.parcel_granted[deal] + rng.integers(730, 1096, m).astype("timedelta64[D]")
    # a new firm's first site, or more land for a firm already producing
    first_site = d.start[owner] > 0
    kind = np.where(
        first_site,
        np.where(rng.random(m) < 0.5, "新建生产基地项目", "新建厂房项目"),
        np.where(rng.random(m) < 0.5, "扩建项目", "二期项目"),
    )
    short = pl.Series(d.enterprise_names[owner], dtype=pl.String).str.replace(
        "(股份)?有限公司$", ""
    )
    project_name = short + pl.Series(kind, dtype=pl.String)
    # projects without a site or an applicant yet
    k = max(1, round(0.003 * d.n))
    y1 = int(d.years[-1])
    pipeline_sector = rng.choice(np.array(P.TECH_SECTORS), k)
    pipeline_industry = d._classes(pipeline_sector)
    words = np.array([P.SECTORS[s].words[0] for s in pipeline_sector], dtype=object)
    div_names = np.array(["招宝山", "蛟川", "骆驼", "庄市", "贵驷", "澥浦", "九龙湖"], dtype=object)
    pipeline_name = div_names[rng.integers(0, 7, k)] + words + "产业化项目（招商）"
    pipeline_area = np.round(rng.uniform(10, 100, k) * M2_PER_MU, 2)
    pipeline_signed = _jan1(np.full(k, y1)) + rng.integers(0, LAST_DAY + 1, k).astype(
        "timedelta64[D]"
    )
    pipeline_due = pipeline_signed + rng.integers(730, 1096, k).astype("timedelta64[D]")
    total = m + k
    land = np.concatenate([area, pipeline_area])
    mu = land / M2_PER_MU
    tax_per_mu = rng.uniform(30, 80, total)
    signed_all = np.concatenate([signed, pipeline_signed])
    signed_year = signed_all.astype("datetime64[Y]").astype(np.int64) + 1970
    order = np.lexsort((np.arange(total), signed_all))
    seq = np.empty(total, dtype=np.int64)
    seq[order] = np.arange(1, total + 1)
    project_id = [
        f"ZH-XM-{y}-{s:05d}" for y, s in zip(signed_year.tolist(), seq.tolist(), strict=True)
    ]
    promises = {
        "tax_per_mu": np.round(tax_per_mu, 2),
        "va_per_mu": np.round(tax_per_mu * rng.uniform(3, 5, total), 2),
        "va_per_energy": np.round(rng.uniform(3, 15, total), 2),
        "va_per_emission": np.round(rng.uniform(2000, 10000, total), 2),
        "rd_intensity": np.round(rng.uniform(0.02, 0.06, total), 4),
    }
    _modest_promises(d, rng, owner, promises)
    return pl.DataFrame(
        {
            "project_id": project_id,
            "name": pl.concat([project_name, pl.Series(pipeline_name, dtype=pl.String)]),
            "applicant_uscc": pl.concat(
                [d.uscc.gather(owner), pl.Series("uscc", [None] * k, dtype=pl.String)]
            ),
            "industry_code": np.concatenate([d.industry[owner], pipeline_industry]),
            "parcel_id": pl.concat(
                [d.parcel_id.gather(deal), pl.Series([None] * k, dtype=pl.String)]
            ),
            "land_area_m2": land,
            # pipeline plans at plot ratios 1.6–2.6 (镇海's 标准地 asks R ≥ 2.0), higher for the
            # projects promising more tax (no draw of its own: the rest of the district is unchanged)
            "floor_area_m2": np.concatenate(
                [floor, np.floor(pipeline_area * (1.6 + (tax_per_mu[m:] - 30) / 50))]
            ),
            "investment": np.round(mu * rng.uniform(400, 900, total), 2),
            **{f"promised_{k}": v for k, v in promises.items()},
            "signed_on": signed_all,
            "production_due": np.concatenate([due, pipeline_due]),
        }
    )


def _modest_promises(
    d: _District, rng: np.random.Generator, owner: np.ndarray, promises: dict[str, np.ndarray]
) -> None:
    """About half the land deals promised what their firm then achieved (70–97 % of its last-year
    figures, so 达产复核 finds them met); the others keep the ambitious 标准地-style promises drawn
    above, which many fall behind. In place; the first len(owner) entries are the deals."""
    m = len(owner)
    modest = rng.random(m) < 0.5
    scale = rng.uniform(0.7, 0.97, (5, m))
    last = d.annual_rows.filter(pl.col("year") == int(d.years[-1]))
    firm = last.get_column("firm").to_numpy()
    row = np.full(d.n, -1, dtype=np.int64)
    row[firm] = np.arange(len(firm))
    r = row[owner]
    found = modest & (r >= 0)
    if not found.any():
        return
    last = last.with_columns(adjusted_tax(Tax()))  # the tax the evaluation will count
    col = {c: last.get_column(c).to_numpy().astype(float) for c in last.columns if c != "scale"}
    tax = col["adjusted_tax"]
    land_m2 = np.zeros(d.n)
    p = d.parcel_table
    np.add.at(land_m2, p["owner"], p["area"])
    mu = land_m2[firm] / M2_PER_MU
    with np.errstate(divide="ignore", invalid="ignore"):
        actual = {
            "tax_per_mu": tax / mu,
            "va_per_mu": col["value_added"] / mu,
            "va_per_energy": col["value_added"] / col["energy_tce"],
            "va_per_emission": col["value_added"] / col["emissions_eq"],
            "rd_intensity": col["rd_expense"] / col["revenue"],
        }
    idx = np.flatnonzero(found)
    for k, (name, values) in enumerate(actual.items()):
        v = values[r[idx]] * scale[k, idx]
        ok = np.isfinite(v) & (v >= 0)
        digits = 4 if name == "rd_intensity" else 2
        # rounded down, so that a promise never exceeds what was achieved
        promises[name][idx[ok]] = np.floor(v[ok] * 10**digits) / 10**digits
