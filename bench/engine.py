"""`python -m bench` (`make bench`): the engine on a district of 150,000 enterprises × 7 years.

1. Generate the district once (mujun.synth), validate it, write it as Parquet under bench/out/.
2. Floor: read the same Parquet files and do one grouped sum per year: the least any evaluation of
   this data costs.
3. Engine: in a fresh process, read and validate the data (mujun.dataset.load, not timed), warm
   Polars up on a tiny district, then time `evaluate_years` over the seven years (best of --runs,
   each run on a fresh Dataset, so canonical sorting and input hashing are paid every time), with
   the RSS after reading, the peak RSS during the evaluation and the process's peak (ru_maxrss).
4. Pandas baseline (bench.pandas_baseline): the same steps in plain pandas, in a fresh process, on
   the same data converted to pandas frames beforehand (conversion not timed).
5. The baseline's results are compared with the engine's, row by row; then the table of times,
   memory, ratios and goals. Exit status 1 when the results disagree (and 2 with --check-goals
   when a goal is missed).

Each measured step runs in its own process (`python -m bench.engine --worker …`) so that its peak
memory is its own and no step warms the caches of another's Python objects.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
PRESET = ROOT / "tests" / "presets" / "zhenhai-v1.toml"
"""The rules the pandas baseline implements (zhenhai before issue 13): both sides run the same."""
YEARS = list(range(2016, 2023))
SEED = 7
DEFAULT_ENTERPRISES = 150_000

GOAL_SECONDS = 5.0
GOAL_PEAK_MB = 2048.0
GOAL_VS_PANDAS = 10.0
GOAL_VS_FLOOR = 20.0


# ---------------------------------------------------------------------------------------------
# memory of this process (Linux)


def _status_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float | None:
    return _status_mb("VmRSS")


_PEAKS: list[float] = []
"""Peaks of the segments before each reset: resetting VmHWM resets ru_maxrss too."""


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process, remembering the peak so far;
    False where not allowed."""
    before = peak_mb()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    if before is not None:
        _PEAKS.append(before)
    return True


def peak_mb() -> float | None:
    """Peak RSS since the last reset_peak (VmHWM)."""
    return _status_mb("VmHWM")


def maxrss_mb() -> float:
    """Peak RSS over the life of the process: ru_maxrss (KiB on Linux), and the peaks noted
    before each reset_peak (the kernel forgets them)."""
    return max([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, *_PEAKS])


# ---------------------------------------------------------------------------------------------
# workers: each runs in a fresh process and writes its measurements as JSON


def _clock(marks: list[float]):
    """An on_year callback noting the time after each year."""
    return lambda _year: marks.append(time.perf_counter())


def _parquet_tables(data: Path):
    import polars as pl

    return {p.stem: pl.read_parquet(p) for p in sorted(data.glob("*.parquet"))}


def work_floor(data: Path, years: list[int], runs: int) -> dict:
    """Read the Parquet tables, then one grouped sum per year."""
    import polars as pl

    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        tables = _parquet_tables(data)
        t1 = time.perf_counter()
        annual = tables["annual"]
        sums = [
            annual.filter(pl.col("year") == y).group_by("scale").agg(pl.col("tax_paid").sum())
            for y in years
        ]
        t2 = time.perf_counter()
        assert len(sums) == len(years)
        timings.append({"seconds": t2 - t0, "read": t1 - t0, "sums": t2 - t1})
        del tables, annual, sums
    best = min(timings, key=lambda t: t["seconds"])
    return {"runs": timings, "best": best, "maxrss_mb": maxrss_mb()}


def work_engine(data: Path, years: list[int], runs: int, results: Path) -> dict:
    """Time mujun.engine.evaluate_years on the data already read; peak memory; its results."""
    import polars as pl

    from bench.pandas_baseline import engine_frames
    from mujun.dataset import Dataset, load
    from mujun.engine import evaluate_years
    from mujun.methodologies import load_methodology
    from mujun.synth import synthesize

    m = load_methodology(PRESET)
    # warm-up: imports, Polars' thread pool and kernels, on a tiny district
    tiny = Dataset.from_frames(**synthesize(300, years, seed=1))
    evaluate_years(tiny, years, m)
    del tiny

    gc.collect()
    can_reset = reset_peak()
    t0 = time.perf_counter()
    loaded = load(data)
    load_seconds = time.perf_counter() - t0
    load_peak = peak_mb() if can_reset else None
    gc.collect()
    rss_loaded = rss_mb()

    measured = []
    evaluations = None
    for _ in range(runs):
        # a fresh Dataset over the loaded frames each run: canonical sorting and the input hash
        # are computed (and held) by each run, as for a freshly loaded dataset
        evaluations = None
        ds = Dataset(**loaded.tables())
        gc.collect()
        can_reset = reset_peak()
        marks = [time.perf_counter()]
        evaluations = evaluate_years(ds, years, m, on_year=_clock(marks))
        seconds = marks[-1] - marks[0]
        per_year = {y: b - a for y, a, b in zip(years, marks[:-1], marks[1:], strict=True)}
        measured.append(
            {
                "seconds": seconds,
                "per_year": per_year,
                "peak_mb": peak_mb() if can_reset else None,
            }
        )
        del ds
    best = min(measured, key=lambda r: r["seconds"])
    process_peak = maxrss_mb()  # reading, validating and evaluating; nothing after

    # where the first year's extra time goes: sorting and hashing the input (once per Dataset)
    fresh = Dataset(**loaded.tables())
    t0 = time.perf_counter()
    fresh.canonical()
    t1 = time.perf_counter()
    fresh.fingerprint()
    t2 = time.perf_counter()
    del fresh

    firms, parcels = engine_frames(evaluations, m)
    results.mkdir(parents=True, exist_ok=True)
    firms.write_parquet(results / "engine_firms.parquet")
    parcels.write_parquet(results / "engine_parcels.parquet")
    return {
        "runs": measured,
        "best": best,
        "load_seconds": load_seconds,
        "rss_loaded_mb": rss_loaded,
        "load_peak_mb": load_peak,
        "maxrss_mb": process_peak,
        "canonical_seconds": t1 - t0,
        "fingerprint_seconds": t2 - t1,
        "rows": firms.height,
        "threads": pl.thread_pool_size(),
    }


def work_pandas(data: Path, years: list[int], runs: int, results: Path) -> dict:
    """Time the pandas baseline on the same data, converted to pandas beforehand."""
    from bench.pandas_baseline import PandasBaseline, results_frames, to_pandas
    from mujun.methodologies import load_methodology

    m = load_methodology(PRESET)
    t0 = time.perf_counter()
    tables = _parquet_tables(data)
    frames = {name: to_pandas(frame) for name, frame in tables.items()}
    convert_seconds = time.perf_counter() - t0
    del tables
    gc.collect()
    rss_loaded = rss_mb()

    measured = []
    out = None
    for _ in range(runs):
        out = None
        gc.collect()
        can_reset = reset_peak()
        marks = [time.perf_counter()]
        out = PandasBaseline(frames, m).evaluate_years(years, on_year=_clock(marks))
        measured.append(
            {
                "seconds": marks[-1] - marks[0],
                "per_year": {
                    y: b - a for y, a, b in zip(years, marks[:-1], marks[1:], strict=True)
                },
                "peak_mb": peak_mb() if can_reset else None,
            }
        )
    best = min(measured, key=lambda r: r["seconds"])
    process_peak = maxrss_mb()
    firms, parcels = results_frames(out)
    results.mkdir(parents=True, exist_ok=True)
    firms.write_parquet(results / "pandas_firms.parquet")
    parcels.write_parquet(results / "pandas_parcels.parquet")
    return {
        "runs": measured,
        "best": best,
        "read_and_convert_seconds": convert_seconds,
        "rss_loaded_mb": rss_loaded,
        "maxrss_mb": process_peak,
    }


def worker(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine")
    p.add_argument("--worker", choices=("floor", "engine", "pandas"), required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--years", type=int, nargs="+", default=YEARS)
    a = p.parse_args(argv)
    if a.worker == "floor":
        out = work_floor(a.data, a.years, a.runs)
    elif a.worker == "engine":
        out = work_engine(a.data, a.years, a.runs, a.results)
    else:
        out = work_pandas(a.data, a.years, a.runs, a.results)
    a.results.mkdir(parents=True, exist_ok=True)
    (a.results / f"{a.worker}.json").write_text(json.dumps(out, indent=1))
    return 0


def _run_worker(kind: str, data: Path, results: Path, runs: int, years: list[int]) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "bench.engine",
        "--worker",
        kind,
        "--data",
        str(data),
        "--results",
        str(results),
        "--runs",
        str(runs),
        "--years",
        *map(str, years),
    ]
    (results / f"{kind}.json").unlink(missing_ok=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads((results / f"{kind}.json").read_text())


# ---------------------------------------------------------------------------------------------
# the benchmark


def _say(msg: str) -> None:
    print(msg, flush=True)


def generate(enterprises: int, seed: int, years: list[int], data: Path) -> dict:
    from mujun.dataset import Dataset
    from mujun.synth import synthesize

    t0 = time.perf_counter()
    tables = synthesize(enterprises, years, seed=seed)
    t1 = time.perf_counter()
    ds = Dataset.from_frames(**tables)
    t2 = time.perf_counter()
    ds.write(data, "parquet")
    t3 = time.perf_counter()
    counts = {name: frame.height for name, frame in ds.tables().items()}
    return {"synth": t1 - t0, "validate": t2 - t1, "write": t3 - t2, "rows": counts}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the mujun engine on a synthetic district against the floor and a "
        "pandas baseline (results must agree).",
    )
    p.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--runs", type=int, default=3, help="engine and floor runs (best is kept)")
    p.add_argument("--pandas-runs", type=int, default=1)
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    p.add_argument("--no-read", action="store_true", help="skip the .xlsx reader benchmark")
    p.add_argument(
        "--check-goals", action="store_true", help="exit 2 when a speed or memory goal is missed"
    )
    a = p.parse_args(argv)
    years = YEARS
    tag = f"{a.enterprises}-seed{a.seed}"
    data = OUT / f"district-{tag}"
    results = OUT / f"results-{tag}"
    results.mkdir(parents=True, exist_ok=True)

    import numpy as np
    import pandas as pd
    import polars as pl

    _say(
        f"mujun bench: {a.enterprises:,} enterprises × {len(years)} years ({years[0]}–{years[-1]}), "
        f"seed {a.seed}; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"polars {pl.__version__} ({pl.thread_pool_size()} threads), pandas {pd.__version__}, "
        f"numpy {np.__version__}"
    )
    gen = generate(a.enterprises, a.seed, years, data)
    rows = gen["rows"]
    _say(
        f"generated in {gen['synth']:.1f} s, validated in {gen['validate']:.1f} s, written as "
        f"Parquet in {gen['write']:.1f} s → {data.relative_to(ROOT)}\n"
        f"  {rows['annual']:,} enterprise-years, {rows['enterprises']:,} enterprises, "
        f"{rows['parcels']:,} parcels, {rows['occupancy']:,} occupancy rows (leases), "
        f"{rows['events']:,} events, {rows['qualifications']:,} qualifications"
    )

    _say(f"floor: read the Parquet tables + one grouped sum per year (best of {a.runs}) …")
    floor = _run_worker("floor", data, results, a.runs, years)
    _say(f"  {floor['best']['seconds']:.3f} s")
    _say(f"engine: evaluate_years, {len(years)} years (best of {a.runs}) …")
    engine = _run_worker("engine", data, results, a.runs, years)
    _say("  " + ", ".join(f"{r['seconds']:.2f} s" for r in engine["runs"]))
    pandas_out = None
    agreement = None
    if not a.no_pandas:
        _say("pandas baseline: the same steps in pandas …")
        pandas_out = _run_worker("pandas", data, results, a.pandas_runs, years)
        _say("  " + ", ".join(f"{r['seconds']:.1f} s" for r in pandas_out["runs"]))
        from bench.pandas_baseline import compare

        agreement = compare(
            pl.read_parquet(results / "engine_firms.parquet"),
            pl.read_parquet(results / "engine_parcels.parquet"),
            pl.read_parquet(results / "pandas_firms.parquet"),
            pl.read_parquet(results / "pandas_parcels.parquet"),
        )
        verdict = "results agree" if agreement.agree else "RESULTS DISAGREE"
        _say(f"{verdict}: {agreement}")

    missed = report(a.enterprises, engine, floor, pandas_out, agreement)
    if not a.no_read:
        from bench.read_xlsx import GOAL as READ_GOAL
        from bench.read_xlsx import run as read_run

        _say("reader: a 200,000-row tax export .xlsx, mujun's reader against openpyxl …")
        r = read_run(200_000)
        passed = r["ratio"] >= READ_GOAL
        _say(
            f"  mujun {r['mujun_s']:.2f} s, openpyxl {r['openpyxl_s']:.2f} s: "
            f"{r['ratio']:.1f}× faster (goal ≥ {READ_GOAL:g}×) {'pass' if passed else 'FAIL'}"
        )
        if not passed:
            missed.append("reader")
    if agreement is not None and not agreement.agree:
        return 1
    if a.check_goals and missed:
        return 2
    return 0


def report(enterprises: int, engine: dict, floor: dict, pandas_out, agreement) -> list[str]:
    """Print the table; return the goals missed."""
    from rich.console import Console
    from rich.table import Table

    ok, bad = "[green]✓ pass[/]", "[red]✗ fail[/]"
    missed: list[str] = []

    def mark(name: str, passed: bool) -> str:
        if not passed:
            missed.append(name)
        return ok if passed else bad

    best = engine["best"]
    secs = best["seconds"]
    peak = engine["maxrss_mb"]
    table = Table(
        title=f"mujun engine, {enterprises:,} enterprises × {len(best['per_year'])} years"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("")
    runs = ", ".join(f"{r['seconds']:.2f}" for r in engine["runs"])
    table.add_row(
        "engine: all years (best run)",
        f"{secs:.2f} s",
        f"< {GOAL_SECONDS:g} s",
        mark("time", secs < GOAL_SECONDS),
    )
    table.add_row("  every run", f"{runs} s", "", "")
    for year, s in best["per_year"].items():
        table.add_row(f"  {year}", f"{s:.2f} s", "", "")
    table.add_row(
        "  of which canonical sort / input hash (in the first year)",
        f"{engine['canonical_seconds']:.2f} / {engine['fingerprint_seconds']:.2f} s",
        "",
        "",
    )
    table.add_row(
        "peak memory: process that reads and evaluates (peak RSS)",
        f"{peak:,.0f} MB",
        f"< {GOAL_PEAK_MB:,.0f} MB",
        mark("memory", peak < GOAL_PEAK_MB),
    )
    table.add_row(
        "  RSS after reading (load + validate)", f"{engine['rss_loaded_mb']:,.0f} MB", "", ""
    )
    if engine.get("load_peak_mb") is not None:
        table.add_row(
            "  peak RSS while reading + validating", f"{engine['load_peak_mb']:,.0f} MB", "", ""
        )
    eval_peaks = [r["peak_mb"] for r in engine["runs"] if r["peak_mb"] is not None]
    if eval_peaks:
        table.add_row(
            "  peak RSS during evaluation (each run)",
            " · ".join(f"{p:,.0f}" for p in eval_peaks) + " MB",
            "",
            "",
        )
    table.add_row(
        "  reading + validating (not timed above)", f"{engine['load_seconds']:.2f} s", "", ""
    )
    if pandas_out is not None:
        ps = pandas_out["best"]["seconds"]
        ratio = ps / secs
        table.add_row("pandas baseline: all years", f"{ps:.1f} s", "", "")
        table.add_row(
            "  per year",
            " · ".join(f"{s:.2f}" for s in pandas_out["best"]["per_year"].values()) + " s",
            "",
            "",
        )
        pandas_peaks = [r["peak_mb"] for r in pandas_out["runs"] if r["peak_mb"] is not None]
        if pandas_peaks:
            table.add_row(
                "  peak RSS during evaluation / process peak",
                f"{max(pandas_peaks):,.0f} / {pandas_out['maxrss_mb']:,.0f} MB",
                "",
                "",
            )
        table.add_row(
            "ratio pandas / engine",
            f"{ratio:.1f}×",
            f"≥ {GOAL_VS_PANDAS:g}×",
            mark("vs pandas", ratio >= GOAL_VS_PANDAS),
        )
    fs = floor["best"]["seconds"]
    table.add_row(
        "floor: read Parquet + one grouped sum per year",
        f"{fs:.3f} s",
        "",
        "",
    )
    table.add_row(
        "  read / grouped sums",
        f"{floor['best']['read']:.3f} / {floor['best']['sums']:.3f} s",
        "",
        "",
    )
    vs_floor = secs / fs
    table.add_row(
        "ratio engine / floor",
        f"{vs_floor:.1f}×",
        f"≤ {GOAL_VS_FLOOR:g}×",
        mark("vs floor", vs_floor <= GOAL_VS_FLOOR),
    )
    if agreement is not None:
        table.add_row(
            f"results vs pandas: {agreement.firm_rows:,} enterprise-years, "
            f"{agreement.parcel_rows:,} parcel-years",
            f"{agreement.firm_differences + agreement.parcel_differences:,} differences",
            "0",
            mark("agreement", agreement.agree),
        )
    Console(width=max(120, Console().width)).print(table)
    return missed


if __name__ == "__main__":
    sys.exit(worker(sys.argv[1:]))
