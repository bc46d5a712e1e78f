"""The published targets (目标任务) and how far the district and its zones have come.

Targets are data (`targets.toml`, or a county's own file) validated by `Targets`. Each is measured on
the canonical dataset (`metric`), and compared with a straight path from its baseline to its deadline:

    progress = (current − baseline) ÷ (target − baseline)
    expected = (year − baseline year) ÷ (deadline − baseline year), within 0…1
    on track = current ≥ target, or progress ≥ expected

A yearly target (+100 high-tech enterprises a year, +7 % output) has the year before as its baseline
and the year itself as its deadline, so it is on track only when met.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mujun.dataset import Dataset
from mujun.dataset.schema import QUALIFICATION_KINDS, SCALES
from mujun.scitech.pipeline import in_zone, valid_on

TARGETS_FILE = Path(__file__).with_name("targets.toml")
UNITS = {"qualified": "家", "talents": "人", "output": "万元"}


class TargetsError(ValueError):
    """A targets file that cannot be read or does not validate, or a target the data cannot
    measure."""


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int
    value: float | None = None
    """Taken from the data when absent."""


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    metric: Literal["qualified", "talents", "output"]
    zone: str | None = None
    kinds: list[str] = []
    levels: list[str] = []
    scale: str | None = None
    value: float | None = Field(None, ge=0)
    deadline: int | None = None
    baseline: Baseline | None = None
    yearly_increase: float | None = None
    yearly_growth: float | None = None
    source: str

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [k for k in kinds if k not in QUALIFICATION_KINDS]
        if unknown:
            raise ValueError(f"unknown qualification kind(s) {unknown}")
        return kinds

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, scale: str | None) -> str | None:
        if scale is not None and scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}")
        return scale

    @model_validator(mode="after")
    def _one_shape(self) -> Target:
        level = self.value is not None or self.deadline is not None or self.baseline is not None
        shapes = [level, self.yearly_increase is not None, self.yearly_growth is not None]
        if sum(shapes) != 1:
            raise ValueError(
                "give either value + deadline + baseline, or yearly_increase, or yearly_growth"
            )
        if level and (self.value is None or self.deadline is None or self.baseline is None):
            raise ValueError("a level target needs value, deadline and baseline")
        if level and self.deadline <= self.baseline.year:  # type: ignore[union-attr]
            raise ValueError("deadline must come after the baseline year")
        if self.metric == "qualified" and not self.kinds:
            raise ValueError("metric 'qualified' needs kinds")
        return self

    @property
    def yearly(self) -> bool:
        return self.value is None

    @property
    def unit(self) -> str:
        return UNITS[self.metric]


class ReportInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: str
    zone: str
    title: str


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: ReportInfo
    target: list[Target] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Targets:
        ids = [t.id for t in self.target]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate target ids {dupes}")
        return self

    def get(self, target_id: str) -> Target:
        return next(t for t in self.target if t.id == target_id)


def load_targets(path: str | Path | None = None) -> Targets:
    """The shipped targets, or a county's own file."""
    path = Path(path) if path is not None else TARGETS_FILE
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return Targets.model_validate(data)
    except OSError as exc:
        raise TargetsError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()
        ]
        raise TargetsError("\n".join(lines)) from None


def measure(ds: Dataset, target: Target, years: list[int]) -> dict[int, float]:
    """The target's metric for each year (float64)."""
    members = in_zone(ds, target.zone)
    out: dict[int, float] = {}
    for year in years:
        if target.metric == "qualified":
            held = ds.qualifications.filter(
                valid_on(dt.date(year, 12, 31)) & pl.col("kind").is_in(target.kinds)
            ).join(members, on="uscc", how="semi")
            out[year] = float(held.get_column("uscc").n_unique())
        elif target.metric == "talents":
            rows = ds.talents.filter(pl.col("year") == year).join(members, on="uscc", how="semi")
            if target.levels:
                rows = rows.filter(pl.col("level").is_in(target.levels))
            out[year] = float(rows.get_column("count").cast(pl.Float64).sum())
        else:
            rows = ds.annual.filter(pl.col("year") == year).join(members, on="uscc", how="semi")
            if target.scale is not None:
                rows = rows.filter(pl.col("scale") == target.scale)
            out[year] = float(rows.get_column("output").sum())
    return out


@dataclass(frozen=True)
class Progress:
    """A target measured in one year. `progress`, `expected` are shares (1.0 = 100 %); None when
    the data lacks the baseline."""

    id: str
    title: str
    zone: str | None
    unit: str
    year: int
    current: float
    baseline_year: int
    baseline: float | None
    target: float | None
    deadline: int
    progress: float | None
    expected: float
    on_track: bool | None
    trend: tuple[tuple[int, float], ...]
    source: str
    yearly: bool


def path_progress(
    current: float, baseline: float, target: float, year: int, baseline_year: int, deadline: int
) -> tuple[float, float, bool]:
    """(progress, expected, on_track) on the straight path from (baseline_year, baseline) to
    (deadline, target)."""
    if target == baseline:
        progress = 1.0 if current >= target else 0.0
    else:
        progress = (current - baseline) / (target - baseline)
    expected = min(1.0, max(0.0, (year - baseline_year) / (deadline - baseline_year)))
    return progress, expected, current >= target or progress >= expected


def progress(ds: Dataset, targets: Targets, year: int, trend_years: int = 5) -> list[Progress]:
    """Every target measured in `year`, with its last `trend_years` values as the trend."""
    have = set(ds.years())
    if year not in have:
        raise TargetsError(f"no annual data for {year}: the data covers {sorted(have)}")
    trend_span = [y for y in range(year - trend_years + 1, year + 1) if y in have]
    out = []
    for t in targets.target:
        if t.yearly:
            base_year, deadline = year - 1, year
        else:
            base_year, deadline = t.baseline.year, t.deadline  # type: ignore[union-attr]
        wanted = sorted({*trend_span, year, base_year} & have)
        values = measure(ds, t, wanted)
        current = values[year]
        base = t.baseline.value if (t.baseline and t.baseline.value is not None) else None
        if base is None:
            base = values.get(base_year)
        if base is None and not t.yearly:
            raise TargetsError(
                f"target {t.id}: no data for its baseline year {base_year}; "
                "give baseline.value in the targets file"
            )
        if base is None:
            goal, prog, exp, ok = None, None, 1.0, None
        else:
            if t.yearly_increase is not None:
                goal = base + t.yearly_increase
            elif t.yearly_growth is not None:
                goal = base * (1 + t.yearly_growth)
            else:
                goal = float(t.value)  # type: ignore[arg-type]
            prog, exp, ok = path_progress(current, base, goal, year, base_year, deadline)
        out.append(
            Progress(
                id=t.id,
                title=t.title,
                zone=t.zone,
                unit=t.unit,
                year=year,
                current=current,
                baseline_year=base_year,
                baseline=base,
                target=goal,
                deadline=deadline,
                progress=prog,
                expected=exp,
                on_track=ok,
                trend=tuple((y, values[y]) for y in trend_span),
                source=t.source,
                yearly=t.yearly,
            )
        )
    return out


def progress_frame(items: list[Progress]) -> pl.DataFrame:
    """`progress` as a table (trend left out): one row per target."""
    schema = {
        "id": pl.String,
        "title": pl.String,
        "zone": pl.String,
        "unit": pl.String,
        "year": pl.Int64,
        "current": pl.Float64,
        "baseline_year": pl.Int64,
        "baseline": pl.Float64,
        "target": pl.Float64,
        "deadline": pl.Int64,
        "progress": pl.Float64,
        "expected": pl.Float64,
        "on_track": pl.Boolean,
    }
    rows = [{k: getattr(p, k) for k in schema} for p in items]
    return pl.DataFrame(rows, schema=schema, orient="row")
