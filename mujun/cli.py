"""mujun's command line: the front door to the dataset, the engine, the synthetic district and the demo.

Exit codes (design.md): 0 success, 1 bad input (with the message), 2 usage error.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="mujun 亩均 — per-mu efficiency evaluation of industrial enterprises (亩均论英雄).",
)
# piped output gets 120 columns, not rich's default 80: the summary tables stay readable in logs
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


class BadInput(Exception):
    """Bad input: printed and exit code 1."""


def _fail(message: str) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def _bad_input():
    """Turn the library's input errors into exit code 1 with their message."""
    from mujun.dataset import DatasetError
    from mujun.engine import EngineError
    from mujun.methodologies import MethodologyError
    from mujun.reports.output import OutputError

    try:
        yield
    except (DatasetError, EngineError, MethodologyError, OutputError, BadInput) as exc:
        _fail(str(exc))


def _folder(out: Path) -> Path:
    """`out` as an output folder, made when missing; exit 1 when it cannot be one."""
    if out.exists() and not out.is_dir():
        _fail(f"{out}: cannot be the output folder: it exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"{out}: cannot be the output folder: {exc.strerror or exc}")
    return out


def parse_years(text: str) -> list[int]:
    """'2016-2022', '2022' or '2019,2021' → a sorted list of years."""
    years: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                start, end = (int(p) for p in part.split("-", 1))
                if end < start:
                    raise ValueError
                years.update(range(start, end + 1))
            else:
                years.add(int(part))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected years like 2016-2022, 2022 or 2019,2021"
        ) from None
    return sorted(years)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _synthesize(enterprises: int, years: list[int], seed: int):
    from mujun.dataset import Dataset
    from mujun.synth import synthesize

    with _progress() as progress:
        task = progress.add_task("synthesizing the district", total=1.0)

        def report(stage: str, done: float) -> None:
            progress.update(task, description=stage, completed=done)

        tables = synthesize(enterprises, years, seed, progress=report)
        progress.update(task, description="validating", completed=1.0)
        return Dataset.from_frames(**tables)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder (csv), or a .xlsx workbook.")],
    enterprises: Annotated[int, typer.Option(min=10, help="Number of enterprises.")] = 3000,
    years: Annotated[str, typer.Option(help="Years, e.g. 2016-2022.")] = "2016-2022",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same district.")
    ] = 7,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet (folders only).")] = "csv",
) -> None:
    """Generate a synthetic Zhenhai-like district as a canonical dataset."""
    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("--format must be csv or parquet")
    year_list = parse_years(years)
    if out.suffix.lower() != ".xlsx":
        _folder(out)
    start = time.perf_counter()
    with _bad_input():
        ds = _synthesize(enterprises, year_list, seed)
        ds.write(out, fmt)
    console.print(
        f"wrote {out}: {ds.enterprises.height} enterprises, {ds.annual.height} enterprise-years, "
        f"{ds.parcels.height} parcels, {ds.occupancy.height} occupancy rows "
        f"({time.perf_counter() - start:.1f} s)"
    )


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
) -> None:
    """Check a dataset; exit 1 with every problem listed (file, row, column, why)."""
    from mujun.dataset import check

    problems = check(path)
    if problems:
        for p in problems:
            err.print(str(p), markup=False, highlight=False, soft_wrap=True)
        _fail(
            f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; the dataset is refused"
        )
    from mujun.dataset import load

    ds = load(path)
    console.print(
        f"{path}: valid — {ds.enterprises.height} enterprises, {ds.annual.height} enterprise-years "
        f"({', '.join(map(str, ds.years()))}), {ds.parcels.height} parcels"
    )


def _summary(ev) -> Table:
    import polars as pl

    from mujun.reports.labels import LIST_LABELS

    table = Table(title=f"{ev.year} · {ev.methodology.name} · grades per list")
    for col in ("list", "A", "B", "C", "D", "not graded", "total"):
        table.add_column(col, justify="right" if col != "list" else "left")
    counts = ev.enterprises.group_by("list", "grade").len()
    for name, label in LIST_LABELS.items():
        part = counts.filter(pl.col("list") == name)
        cells = [int(part.filter(pl.col("grade") == g).get_column("len").sum()) for g in "ABCD"]
        ungraded = int(part.filter(pl.col("grade").is_null()).get_column("len").sum())
        table.add_row(
            f"{label} ({name})", *map(str, cells), str(ungraded), str(sum(cells) + ungraded)
        )
    return table


def _at_cap(ev) -> Table | None:
    """Where the preset caps scores: the share of each list at the cap, per indicator."""
    from mujun.reports.labels import LIST_LABELS

    if ev.methodology.scoring.cap is None:
        return None
    rows = ev.at_cap()
    table = Table(title=f"firms at the score cap ({ev.methodology.scoring.cap:g} × weight)")
    for col in ("list", "indicator", "at cap", "of", "share"):
        table.add_column(col, justify="left" if col in ("list", "indicator") else "right")
    for r in rows.iter_rows(named=True):
        table.add_row(
            f"{LIST_LABELS.get(r['list'], r['list'])} ({r['list']})",
            r["indicator"],
            str(r["at_cap"]),
            str(r["firms"]),
            f"{r['share']:.1%}" if r["share"] is not None else "—",
        )
    return table


def _illustrative(m) -> str:
    n = len(m.illustrative(evaluation=True))
    return (
        f"{n} illustrative values (no source) in the evaluation of methodology {m.name}: "
        "`mujun methodologies --unsourced` lists a preset's"
    )


@app.command()
def evaluate(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="Evaluation year.")],
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
    out: Annotated[
        Path | None, typer.Option(help="Results: .csv, .parquet or .xlsx (published list).")
    ] = None,
    parcels: Annotated[
        Path | None, typer.Option(help="Parcel view: .csv, .parquet or .xlsx.")
    ] = None,
) -> None:
    """Evaluate one year (engine only, no database)."""
    from mujun.dataset import load
    from mujun.engine import evaluate as run
    from mujun.methodologies import load_methodology
    from mujun.reports.output import check_suffix, write_enterprises, write_parcels

    with _bad_input():
        for target in (out, parcels):
            if target is not None:
                check_suffix(target)
        m = load_methodology(methodology)
        ds = load(path)
        ev = run(ds, year, m)
        if out is not None:
            write_enterprises(ev, out)
        if parcels is not None:
            write_parcels(ev, parcels)
    console.print(_summary(ev))
    if (capped := _at_cap(ev)) is not None:
        console.print(capped)
    console.print(
        f"methodology {m.name} sha256 {ev.methodology_hash[:16]}… · input sha256 {ev.input_hash[:16]}…"
    )
    console.print(_illustrative(m))
    for target in (out, parcels):
        if target is not None:
            console.print(f"wrote {target}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="The bureaus' files: .xlsx, .xls, .csv.")],
    out: Annotated[
        Path, typer.Option(help="Folder for the canonical dataset and ingest-report.xlsx.")
    ],
    profile: Annotated[
        list[Path] | None, typer.Option(help="A county's own layout (TOML); may be repeated.")
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option("--keep-going", help="Write the valid data; rejected rows go to rejects/."),
    ] = False,
) -> None:
    """Turn the bureaus' own files into the canonical dataset, showing every problem."""
    from mujun.ingest import ProfileError
    from mujun.ingest import ingest as run
    from mujun.ingest.profile import load_profiles
    from mujun.ingest.report import write_rejects, write_report

    try:
        profiles = load_profiles(profile or [])
    except (ProfileError, OSError) as exc:
        _fail(str(exc))
    _folder(out)
    with _progress() as progress:
        tasks: dict[str, int] = {}

        def report(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"reading {name}", total=total or None)
            progress.update(tasks[name], completed=done, total=total or None)

        result = run(files, profiles, keep_going=keep_going, progress=report)
    for old in (out / "rejects").glob("*.csv"):  # an earlier run's rejects
        old.unlink()
    write_report(result, out / "ingest-report.xlsx")
    for s in result.sheets:
        where = s.file + (f" [{s.sheet}]" if s.sheet else "")
        console.print(f"{where}: {s.profile}, header row {s.header_rows[-1]}, {s.data_rows} rows")
    errors = result.errors
    warnings = len(result.problems) - len(errors)
    for p in errors[:100]:
        err.print(str(p), markup=False, highlight=False, soft_wrap=True)
    if len(errors) > 100:
        err.print(f"… and {len(errors) - 100} more (see {out / 'ingest-report.xlsx'})")
    if result.dataset is None:
        # a dataset left by an earlier run must not be taken for this one's
        from mujun.dataset.schema import TABLES

        for table in TABLES:
            for suffix in (".csv", ".parquet"):
                (out / f"{table.name}{suffix}").unlink(missing_ok=True)
        _fail(
            f"{len(errors)} problem{'s' if len(errors) != 1 else ''}, {warnings} warnings: nothing written "
            f"but {out / 'ingest-report.xlsx'} (use --keep-going to write the valid rows)"
        )
    result.dataset.write(out)
    rejects = write_rejects(result, out / "rejects") if keep_going else []
    ds = result.dataset
    console.print(
        f"wrote {out}: {ds.enterprises.height} enterprises, {ds.annual.height} enterprise-years, "
        f"{ds.parcels.height} parcels, {ds.occupancy.height} leases; {len(errors)} errors, {warnings} "
        f"warnings in {out / 'ingest-report.xlsx'}"
        + (f"; {len(result.rejected)} rejected rows in {out / 'rejects'}" if rejects else "")
    )


@app.command()
def explain(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="Evaluation year.")],
    uscc: Annotated[str, typer.Option(help="The enterprise's 统一社会信用代码.")],
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
) -> None:
    """Why this grade, and what it takes to reach the next one (benchmarks held)."""
    from mujun.dataset import load
    from mujun.engine import evaluate_years
    from mujun.engine.explain import (
        ExplainError,
        contributions,
        decompose,
        describe_input,
        what_it_takes,
    )
    from mujun.methodologies import load_methodology

    with _bad_input():
        m = load_methodology(methodology)
        ds = load(path)
        years = [y for y in (year - 1, year) if y in ds.years()] or [year]
        results = evaluate_years(ds, years, m)
        ev = results[year]
        try:
            plan = what_it_takes(ev, uscc)
            table = contributions(ev, uscc)
        except ExplainError as exc:
            raise BadInput(str(exc)) from None
    row = ev.detail.filter(ev.detail["uscc"] == uscc).row(0, named=True)
    console.print(
        f"[bold]{row['name']}[/bold] {uscc} · {year} · {row['list']} · grade {row['grade'] or '—'} "
        f"(own {row['own_grade'] or '—'}) · score {row['total_score'] or 0:.2f} · rank {row['rank'] or '—'}"
    )
    if row["reason"]:
        console.print(f"[dim]{row['reason']}[/dim]")
    contrib = Table(title="各项指标得分 how the score is made")
    for col in (
        "指标 indicator",
        "value",
        "benchmark",
        "weight",
        "score",
        "industry median",
        "division median",
    ):
        contrib.add_column(col, justify="left" if col.startswith("指标") else "right")

    def fmt(v):
        return "—" if v is None else f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"

    for r in table.iter_rows(named=True):
        contrib.add_row(
            f"{r['name_zh']} ({r['unit']})",
            fmt(r["value"]),
            fmt(r["benchmark"]),
            f"{r['weight']:g}",
            fmt(r["score"]),
            fmt(r["industry_median"]),
            fmt(r["division_median"]),
        )
    console.print(contrib)
    if plan["target_grade"] is None:
        console.print("已是最高等级或未参评：no higher grade to reach.")
    elif plan["target_score"] is None:
        console.print(f"no firm in this list holds grade {plan['target_grade']} this year.")
    else:
        console.print(
            f"[bold]升至 {plan['target_grade']} 级 to reach {plan['target_grade']}[/bold]: "
            f"{plan['target_score']:.2f} points, {plan['gap']:.2f} more. Any one of these would do "
            "(this year's benchmarks held):"
        )
        for change in plan["inputs"]:
            console.print(f"  • {describe_input(change)}", highlight=False)
    if year - 1 in results:
        try:
            parts = decompose(results[year - 1], ev, uscc)
        except ExplainError as exc:
            console.print(f"[dim]{exc}[/dim]")
        else:
            moved = Table(title=f"{year - 1} → {year}: what moved the score")
            for col in ("component", "before", "after", "change", "own value", "benchmark"):
                moved.add_column(col, justify="left" if col == "component" else "right")
            for r in parts.iter_rows(named=True):
                moved.add_row(
                    r["component"],
                    fmt(r["before"]),
                    fmt(r["after"]),
                    fmt(r["change"]),
                    fmt(r["own_value"]),
                    fmt(r["benchmark"]),
                )
            console.print(moved)


@app.command()
def compare(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="Evaluation year.")],
    a: Annotated[str, typer.Option("--a", help="First methodology (preset or TOML).")],
    b: Annotated[str, typer.Option("--b", help="Second methodology (preset or TOML).")],
    out: Annotated[
        Path | None, typer.Option(help="Write the changed firms (.csv, .parquet).")
    ] = None,
) -> None:
    """Two methodologies on the same data: grade transitions, who changes, what it costs."""
    from mujun.dataset import load
    from mujun.engine import evaluate as run
    from mujun.engine.compare import compare as run_compare
    from mujun.methodologies import load_methodology
    from mujun.reports.output import write_frame

    with _bad_input():
        ma, mb = load_methodology(a), load_methodology(b)
        ds = load(path)
        result = run_compare(run(ds, year, ma), run(ds, year, mb))
        if out is not None:
            write_frame(result.changed, out)
    matrix = Table(title=f"{year}: grade under {ma.name} (rows) → under {mb.name} (columns)")
    for col in result.transitions.columns:
        matrix.add_column(col if col != "grade_a" else "", justify="right")
    for row in result.transitions.iter_rows():
        matrix.add_row(*map(str, row))
    console.print(matrix)
    totals = Table(title="totals")
    for col in result.totals.columns:
        totals.add_column(col, justify="left" if col == "measure" else "right")
    for row in result.totals.iter_rows():
        totals.add_row(
            row[0], *(f"{v:,.0f}" if row[0].startswith("grade") else f"{v:,.2f}" for v in row[1:])
        )
    console.print(totals)
    console.print(
        f"{result.changed.height} firms change grade" + (f"; listed in {out}" if out else "")
    )


@app.command()
def sensitivity(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="Evaluation year.")],
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
    draws: Annotated[int, typer.Option(min=1)] = 1000,
    concentration: Annotated[
        float, typer.Option(help="Dirichlet concentration; 0 = no spread.")
    ] = 200.0,
    methods: Annotated[
        str | None,
        typer.Option(
            help="Benchmark methods to draw from, comma-separated (Monte Carlo default: preset; "
            "Sobol' default: the preset's and every other method the methodology allows)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Grade probabilities per firm (.csv, .parquet).")
    ] = None,
    sobol: Annotated[
        int,
        typer.Option(
            min=0,
            help="Sobol' indices from this many base samples (a power of 2; × (inputs + 2) runs "
            "per group); 0 = none.",
        ),
    ] = 0,
    spread: Annotated[
        float,
        typer.Option(
            min=0.0, max=0.99, help="Sobol': each weight varies uniformly within ± this share."
        ),
    ] = 0.25,
    sobol_out: Annotated[
        Path | None,
        typer.Option(help="Sobol' indices per list, target and input (.csv, .parquet, .xlsx)."),
    ] = None,
) -> None:
    """Monte Carlo over weights and benchmark methods: grade probabilities and fragile grades;
    with --sobol, each weight's and the benchmark method's Sobol' indices on each list."""
    from mujun.dataset import load
    from mujun.engine import evaluate as run
    from mujun.engine.sensitivity import METHODS, monte_carlo
    from mujun.engine.sensitivity import sobol as sobol_indices
    from mujun.methodologies import load_methodology
    from mujun.reports.output import check_suffix, write_frame, write_table

    chosen = tuple(m.strip() for m in methods.split(",")) if methods else None
    if chosen is not None and not set(chosen) <= set(METHODS):
        raise typer.BadParameter(f"--methods: choose from {', '.join(METHODS)}")
    if sobol == 1 or sobol & (sobol - 1):
        raise typer.BadParameter(f"--sobol: a power of 2 (2, 4, … 256, 512), got {sobol}")
    if sobol_out is not None and not sobol:
        raise typer.BadParameter("--sobol-out needs --sobol N")
    with _bad_input():
        if sobol_out is not None:
            check_suffix(sobol_out)
        m = load_methodology(methodology)
        ev = run(load(path), year, m)
        result = monte_carlo(ev, draws, concentration or None, chosen or ("preset",), seed)
        if out is not None:
            write_frame(result.probabilities, out)
        if sobol:
            started = time.perf_counter()
            try:
                indices = sobol_indices(ev, sobol, spread, chosen, seed)
            except ValueError as exc:  # e.g. nothing varies: --spread 0 and one method
                raise typer.BadParameter(str(exc)) from exc
            elapsed = time.perf_counter() - started
            if sobol_out is not None:
                write_table(indices.indices, sobol_out, f"{year} {m.name} Sobol' 敏感性指数")
    table = Table(title=f"{year} · {m.name} · {draws} draws · rank stability per list")
    for col in ("list", "firms", "median |rank shift|", "fragile (< 80 % stable)"):
        table.add_column(col, justify="left" if col == "list" else "right")
    for r in result.stability.iter_rows(named=True):
        table.add_row(
            r["list"],
            str(r["firms"]),
            f"{r['median_abs_rank_shift']:g}",
            f"{r['fragile_share']:.1%}",
        )
    console.print(table)
    influence = Table(title="influence: median |rank shift| when the indicator is removed")
    for col in ("group", "indicator", "median", "mean"):
        influence.add_column(col, justify="left" if col in ("group", "indicator") else "right")
    for r in result.influence.iter_rows(named=True):
        influence.add_row(
            r["group"],
            r["indicator"],
            f"{r['median_abs_rank_shift']:g}",
            f"{r['mean_abs_rank_shift']:.1f}",
        )
    console.print(influence)
    if sobol:
        _print_sobol(indices, elapsed)
        if sobol_out is not None:
            console.print(f"Sobol' indices written to {sobol_out}")


def _print_sobol(result, elapsed: float) -> None:
    """The Sobol' inputs, then per list and target its mean over the runs and each input's S1, ST."""
    inputs = Table(title="Sobol' inputs: what varies, uniformly, in each group")
    for col in ("group", "input", "preset", "varied"):
        inputs.add_column(col)
    for r in result.inputs.iter_rows(named=True):
        inputs.add_row(r["group"], r["input"], r["preset"], r["varied"])
    console.print(inputs)
    runs = ", ".join(
        f"{g} {n:,}" for g, n in result.targets.unique("group", maintain_order=True)
        .select("group", "runs").iter_rows()
    )  # fmt: skip
    table = Table(
        title=f"Sobol' indices: first order S1 and total effect ST ± 95 % CI "
        f"({result.base_samples} base samples; runs {runs}; {elapsed:.1f} s)"
    )
    for col in ("list", "target: mean ± sd over the runs", "input", "S1", "ST"):
        table.add_column(col, justify="right" if col in ("S1", "ST") else "left")
    targets = {(r["list"], r["target"]): r for r in result.targets.iter_rows(named=True)}

    def show(v, conf) -> str:
        return "—" if v is None else f"{v:.3f} ± {conf:.3f}"

    shown = None
    for r in result.indices.iter_rows(named=True):
        key = (r["list"], r["target"])
        t = targets[key]
        if shown is not None and key != shown:
            table.add_section()
        if r["target"] == "rank_shift":
            summary = f"mean |rank shift| {t['mean']:.1f} ± {t['std']:.1f}"
        else:
            summary = f"grade changed {t['mean']:.1%} ± {t['std']:.1%}"
        table.add_row(
            r["list"] if key != shown else "",
            summary if key != shown else "",
            r["input"],
            show(r["S1"], r["S1_conf"]),
            show(r["ST"], r["ST_conf"]),
        )
        shown = key
    console.print(table)


@app.command()
def methodologies(
    unsourced: Annotated[
        bool,
        typer.Option(
            "--unsourced", help="List every illustrative value (no source) of each preset."
        ),
    ] = False,
) -> None:
    """List the shipped methodology presets and their hashes."""
    from mujun.methodologies import available, load_methodology

    presets = [load_methodology(name) for name in available()]
    if unsourced:  # one line a value, to read or to grep
        for m in presets:
            console.print(f"{m.name}: {len(m.illustrative())} illustrative values", markup=False)
            for path, number, why in m.illustrative():
                line = f"  {path} = {number:g} · {why or 'no source given'}"
                console.print(line, markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title="methodology presets")
    for col in ("name", "title", "sha256", "illustrative"):
        table.add_column(col)
    for m in presets:
        table.add_row(m.name, m.title, m.digest()[:16] + "…", str(len(m.illustrative())))
    console.print(table)


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="MUJUN_HOME",
        help="The folder with the embedded database and secret key (default ./mujun-home).",
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="MUJUN_DATABASE_URL",
        help="postgresql://user:password@host:port/name instead of the embedded SQLite.",
    ),
]


@app.command()
def init(
    home: HomeOption = None,
    database: DatabaseOption = None,
    username: Annotated[str, typer.Option(help="The first administrator's user name.")] = "admin",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="MUJUN_ADMIN_PASSWORD",
            help="The administrator's password (asked for when not given).",
        ),
    ] = ...,
) -> None:
    """Create the database (or bring it up to date) and its first administrator."""
    from django.core.exceptions import ValidationError

    from mujun.web.commands import create_admin, prepare

    prepare(home, database)
    try:
        create_admin(username, password)
    except ValidationError as exc:
        _fail("password: " + " ".join(exc.messages))
    except ValueError as exc:
        _fail(str(exc))
    console.print(
        f"database ready; administrator [bold]{username}[/bold] created. Next: mujun serve"
    )


@app.command()
def serve(
    home: HomeOption = None,
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    threads: Annotated[int, typer.Option(min=1, help="Threads per server process.")] = 8,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Server processes (default: one per core, up to 4, on POSIX)."),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development settings: plain http on this machine, no Secure cookies. Without it "
            "the production settings run (HTTPS through the TLS proxy).",
        ),
    ] = False,
) -> None:
    """Serve the web app on an existing database (production settings unless --dev)."""
    import os

    from mujun.web.commands import DEV_SETTINGS, default_workers, prepare, serve_settings
    from mujun.web.commands import serve as run_server

    module = serve_settings(dev)
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    prepare(home, database)
    workers = workers or default_workers()
    if module == DEV_SETTINGS:
        console.print(
            f"[bold]development settings[/bold] ({module}, --dev): plain http, cookies not "
            "Secure, two-week sessions — not for a real server"
        )
    else:
        console.print(
            f"[bold]production settings[/bold] ({module}): served behind the TLS proxy "
            "(http requests are redirected to https), Secure cookies, HSTS, 8-hour sessions; "
            "--dev for plain http on this machine"
        )
    console.print(f"mujun on http://{host}:{port}/ ({workers} × {threads} threads; Ctrl+C stops)")
    run_server(host, port, threads, workers)


@app.command()
def backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write (.json.gz).")],
    home: HomeOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write the whole database to one file (portable between SQLite and PostgreSQL)."""
    from mujun.web.commands import backup as run_backup
    from mujun.web.commands import prepare

    prepare(home, database)
    n = run_backup(out)
    console.print(f"{n:,} objects written to {out}")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A backup written by `mujun backup`.")],
    home: HomeOption = None,
    database: DatabaseOption = None,
) -> None:
    """Replace the database's content with a backup (all-or-nothing)."""
    from mujun.web.commands import prepare
    from mujun.web.commands import restore as run_restore

    if not path.is_file():
        _fail(f"{path}: no such backup file")
    prepare(home, database)
    try:
        n = run_restore(path)
    except (OSError, ValueError) as exc:
        _fail(f"{path}: not a mujun backup ({exc}); nothing changed")
    console.print(f"{n:,} objects restored from {path}")


def _district_table(results: dict) -> Table:
    import polars as pl

    table = Table(title="district 亩均税收 / 亩均增加值 by year (万元/亩, evaluated firms)")
    for col in (
        "year",
        "规上 亩均税收",
        "规上 亩均增加值",
        "all 亩均税收",
        "evaluated",
        "land (亩)",
    ):
        table.add_column(col, justify="right")
    for year, ev in sorted(results.items()):
        done = ev.detail.filter(pl.col("_scorable"))
        above = done.filter(pl.col("group") == "above")

        def ratio(frame, num):
            land = frame.get_column("land_mu").sum()
            return frame.get_column(num).sum() / land if land else float("nan")

        table.add_row(
            str(year),
            f"{ratio(above, 'adjusted_tax'):.2f}",
            f"{ratio(above, 'value_added'):.2f}",
            f"{ratio(done, 'adjusted_tax'):.2f}",
            str(done.height),
            f"{done.get_column('land_mu').sum():,.0f}",
        )
    return table


def _parcels_table(ev, best: bool) -> Table:
    import polars as pl

    graded = ev.parcels.filter(pl.col("grade").is_not_null())
    top = graded.sort(["total_score", "parcel_id"], descending=[best, False]).head(10)
    table = Table(title=f"{ev.year}: the ten {'best' if best else 'worst'} parcels")
    for col in (
        "parcel",
        "area (亩)",
        "occupants",
        "vacant",
        "亩均税收",
        "亩均增加值",
        "score",
        "grade",
    ):
        table.add_column(col, justify="left" if col == "parcel" else "right")
    for row in top.iter_rows(named=True):
        table.add_row(
            row["parcel_id"],
            f"{row['area_mu']:.1f}",
            str(row["occupants"]),
            f"{row['vacant_share']:.0%}",
            f"{row['tax_per_mu']:.2f}",
            f"{row['value_added_per_mu']:.2f}",
            f"{row['total_score']:.2f}",
            row["grade"],
        )
    return table


# ---- around the evaluation: 产业准入 (screen), 达产复核 (commitments), 低效用地 (land) -------------


def _evaluate_upto(ds, year: int, m) -> dict:
    """Every year of the data up to `year`, evaluated in order (for the years-in-a-row counts)."""
    from mujun.engine import evaluate_years

    years = [y for y in ds.years() if y <= year]
    if year not in ds.years():
        have = ", ".join(map(str, ds.years())) or "none"
        raise BadInput(f"no annual rows for {year} (years in the data: {have})")
    with _progress() as progress:
        task = progress.add_task("evaluating", total=len(years))
        return evaluate_years(ds, years, m, on_year=lambda _: progress.advance(task))


def _count_table(title: str, frame, key: str, columns: dict[str, str]) -> Table:
    """A rich table of a small frame: `key` on the left, then the columns (name → format)."""
    table = Table(title=title)
    table.add_column(key)
    for col in columns:
        table.add_column(col, justify="right")
    for row in frame.iter_rows(named=True):
        table.add_row(
            str(row[key]),
            *(fmt.format(row[c]) if row[c] is not None else "—" for c, fmt in columns.items()),
        )
    return table


@app.command()
def screen(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    out: Annotated[Path, typer.Option(help="Screening table: .csv, .parquet or .xlsx.")],
    year: Annotated[
        int | None, typer.Option(help="Year whose firms the projects rank among (default: last).")
    ] = None,
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
    project: Annotated[
        Path | None, typer.Option(help="Screen one project described in a TOML file instead.")
    ] = None,
) -> None:
    """产业准入: screen projects against the preset's 标准地 conditions and industry list."""
    import tomllib

    import polars as pl

    from mujun.dataset import load
    from mujun.dataset.schema import PROJECTS
    from mujun.engine import evaluate as run
    from mujun.engine.access import project_frame
    from mujun.engine.access import screen as run_screen
    from mujun.methodologies import load_methodology
    from mujun.reports.output import check_suffix, write_table

    with _bad_input():
        check_suffix(out)
        m = load_methodology(methodology)
        ds = load(path)
        if project is not None:
            try:
                data = tomllib.loads(project.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise BadInput(f"{project}: cannot read the project: {exc}") from None
            projects = project_frame(data, PROJECTS.schema)
        else:
            projects = ds.projects
        y = year if year is not None else max(ds.years(), default=None)
        ev = run(ds, y, m) if y is not None else None
        result = run_screen(projects, m.access, ev)
        write_table(result, out, f"{m.name} 产业准入", "准入")
    counts = result.group_by("verdict").len()
    verdicts = (
        pl.DataFrame({"verdict": ["admitted", "conditional", "refused"]})
        .join(counts, on="verdict", how="left")
        .with_columns(pl.col("len").fill_null(0))
    )
    console.print(
        _count_table(
            f"{m.name} · {result.height} projects screened", verdicts, "verdict", {"len": "{:,}"}
        )
    )
    failed = (
        result.select(pl.col("failed").str.split(";").explode())
        .filter(pl.col("failed") != "")
        .group_by("failed")
        .len()
        .sort("len", "failed", descending=[True, False])
    )
    if failed.height:
        console.print(_count_table("failed conditions", failed, "failed", {"len": "{:,}"}))
    if project is not None:
        row = result.row(0, named=True)
        console.print(f"[bold]{row['name']}[/bold]: {row['verdict']}", highlight=False)
        if row["reason"]:
            console.print(row["reason"], markup=False, highlight=False)
    console.print(f"wrote {out}")


@app.command()
def commitments(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="The year checked.")],
    out: Annotated[Path, typer.Option(help="达产复核 table: .csv, .parquet or .xlsx.")],
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
) -> None:
    """达产复核: each project's promises against its enterprise's actual figures."""
    import polars as pl

    from mujun.dataset import load
    from mujun.engine.commitments import STATUSES, check_commitments
    from mujun.methodologies import load_methodology
    from mujun.reports.output import check_suffix, write_table

    with _bad_input():
        check_suffix(out)
        m = load_methodology(methodology)
        ds = load(path)
        results = _evaluate_upto(ds, year, m)
        table = check_commitments(ds.projects, results, year, m.commitments)
        write_table(table, out, f"{year} 达产复核", "达产复核")
    counts = (
        pl.DataFrame({"status": list(STATUSES)})
        .join(
            table.group_by("status").agg(pl.len(), pl.col("clawback").sum()),
            on="status",
            how="left",
        )
        .with_columns(pl.col("len").fill_null(0), pl.col("clawback").fill_null(0.0))
    )
    console.print(
        _count_table(
            f"{year} · {m.name} · {table.height} projects",
            counts,
            "status",
            {"len": "{:,}", "clawback": "{:,.2f}"},
        )
    )
    console.print(f"wrote {out}")


@app.command()
def land(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="The year of the inventory.")],
    out: Annotated[Path, typer.Option(help="Flagged parcels: .csv, .parquet or .xlsx.")],
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
) -> None:
    """低效用地: the inventory of low-efficiency parcels, the area they could free, 批而未供."""
    import polars as pl

    from mujun.dataset import load
    from mujun.dataset.reference import divisions
    from mujun.engine.lowland import land_inventory
    from mujun.methodologies import load_methodology
    from mujun.reports.output import check_suffix, write_table

    with _bad_input():
        check_suffix(out)
        m = load_methodology(methodology)
        ds = load(path)
        results = _evaluate_upto(ds, year, m)
        inv = land_inventory(results, year, m.lowland)
        write_table(inv.parcels, out, f"{year} 低效用地", "低效用地")
    sums = [pl.col("parcels").sum(), pl.col("area_mu").sum(), pl.col("freeable_mu").sum()]
    fmt = {"parcels": "{:,}", "area_mu": "{:,.1f}", "freeable_mu": "{:,.1f}"}
    by_category = (
        pl.DataFrame({"category": m.lowland.categories})
        .join(inv.totals.group_by("category").agg(sums), on="category", how="left")
        .with_columns(
            pl.col("parcels").fill_null(0), pl.col("area_mu", "freeable_mu").fill_null(0.0)
        )
    )
    console.print(
        _count_table(f"{year} · low-efficiency land by category (亩)", by_category, "category", fmt)
    )
    names = divisions()
    by_division = (
        inv.totals.group_by("division_code")
        .agg(sums)
        .sort("division_code")
        .with_columns(
            pl.format(
                "{} {}",
                pl.col("division_code"),
                pl.col("division_code").replace_strict(names, default="", return_dtype=pl.String),
            ).alias("division")
        )
    )
    console.print(_count_table(f"{year} · by division (亩)", by_division, "division", fmt))
    s = inv.supply.row(0, named=True)
    console.print(
        f"批而未供 approved-not-supplied: {s['stock_end_mu']:,.1f} 亩 in {s['stock_end_parcels']} "
        f"parcels at the end of {year} ({s['stock_start_mu']:,.1f} a year before; "
        f"{s['granted_from_stock_mu']:,.1f} granted from it in {year}"
        + (
            f", {s['supply_rate']:.0%} of the opening stock)"
            if s["supply_rate"] is not None
            else ")"
        ),
        highlight=False,
    )
    if inv.change is not None:
        c = {r["measure"]: r for r in inv.change.iter_rows(named=True)}
        console.print(
            f"since {year - 1}: {c['revitalized']['parcels']} parcels revitalized "
            f"({c['revitalized']['area_mu']:,.1f} 亩), {c['newly_flagged']['parcels']} newly flagged "
            f"({c['newly_flagged']['area_mu']:,.1f} 亩)",
            highlight=False,
        )
    console.print(
        f"[bold]{inv.parcels.height} parcels flagged, {inv.parcels.get_column('area_mu').sum():,.1f} 亩; "
        f"freeable {inv.parcels.get_column('freeable_mu').sum():,.1f} 亩[/bold]"
    )
    console.print(f"wrote {out}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where the demo district and its results go.")] = Path(
        "mujun-demo"
    ),
    enterprises: Annotated[int, typer.Option(min=50)] = 3000,
    years: Annotated[str, typer.Option()] = "2016-2022",
    seed: Annotated[int, typer.Option()] = 7,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")
    ] = True,
) -> None:
    """Synthesize the demo district, evaluate every year with `zhenhai`, print a summary and write
    each year's published list beside it."""
    from mujun.engine import evaluate_years
    from mujun.methodologies import load_methodology
    from mujun.reports.output import write_enterprises, write_parcels

    year_list = parse_years(years)
    with _bad_input():
        ds = _synthesize(enterprises, year_list, seed)
        ds.write(out / "data")
        m = load_methodology("zhenhai")
        with _progress() as progress:
            task = progress.add_task("evaluating", total=len(year_list))
            results = evaluate_years(ds, year_list, m, on_year=lambda _: progress.advance(task))
            for year, ev in results.items():
                write_enterprises(ev, out / "results" / f"published-{year}.xlsx")
                write_enterprises(ev, out / "results" / f"enterprises-{year}.csv")
                write_parcels(ev, out / "results" / f"parcels-{year}.csv")
    last = results[max(results)]
    console.print(_summary(last))
    if (capped := _at_cap(last)) is not None:
        console.print(capped)
    console.print(_district_table(results))
    console.print(_parcels_table(last, best=True))
    console.print(_parcels_table(last, best=False))
    console.print(
        f"dataset {out / 'data'} · published lists {out / 'results'} · "
        f"methodology {m.name} sha256 {last.methodology_hash[:16]}… · input sha256 {last.input_hash[:16]}…"
    )
    console.print("loading the demo into its embedded database …")
    home = out / "home"
    import os

    from mujun.web.commands import prepare, reset_sqlite, serve_settings

    # the demo runs on plain http on this machine: the development settings, whatever the
    # environment says (the production ones would redirect every page to https)
    os.environ["DJANGO_SETTINGS_MODULE"] = serve_settings(dev=True)

    reset_sqlite(home)
    prepare(home)
    from mujun.web.demo import PASSWORD, demo_users, load_demo

    with _progress() as progress:
        task = progress.add_task("publishing", total=len(year_list))
        load_demo(ds, year_list, on_year=lambda _: progress.advance(task))
    logins = Table(title=f"demo logins (password {PASSWORD})")
    logins.add_column("user")
    logins.add_column("role")
    logins.add_column("sees")
    for username, role, label in demo_users(ds):
        logins.add_row(username, role, label)
    console.print(logins)
    if serve:
        from mujun.web.commands import serve as run_server

        console.print(
            "mujun demo on [bold]http://127.0.0.1:8000/[/bold] with the development settings "
            f"(plain http, this machine only; Ctrl+C stops; later: mujun serve --dev --home {home})"
        )
        run_server("127.0.0.1", 8000)
    else:
        console.print(f"serve it with: mujun serve --dev --home {home}")


# -- sci-tech zone and the People's Congress report (issue 7) ----------------------------------


@contextmanager
def _scitech_input():
    """The targets' and tasks' file errors are bad input too (exit 1)."""
    from mujun.scitech.targets import TargetsError
    from mujun.scitech.tasks import TasksError

    with _bad_input():
        try:
            yield
        except (TargetsError, TasksError) as exc:
            _fail(str(exc))


@app.command()
def report(
    year: Annotated[int, typer.Option(help="Report year.")],
    out: Annotated[Path, typer.Option(help="The PDF to write.")],
    data: Annotated[
        Path | None,
        typer.Option(help="A dataset folder or .xlsx workbook instead of the database."),
    ] = None,
    methodology: Annotated[str, typer.Option(help="Preset name or a TOML file.")] = "zhenhai",
    targets: Annotated[
        Path | None, typer.Option(help="Your own targets file (TOML) instead of the shipped one.")
    ] = None,
    tasks: Annotated[
        Path | None, typer.Option(help="Your own tasks file (TOML) instead of the shipped one.")
    ] = None,
    home: HomeOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write the People's Congress special report (专项工作报告) on the sci-tech zone as a PDF: from
    the database's published run of the year (the default), or from a dataset with --data."""
    if data is None:
        _report_from_database(year, out, home, database)
        return
    from mujun.dataset import load
    from mujun.methodologies import load_methodology
    from mujun.reports.congress import build_report, report_data_from_dataset
    from mujun.scitech.targets import load_targets
    from mujun.scitech.tasks import load_tasks

    with _scitech_input():
        m = load_methodology(methodology)
        goals = load_targets(targets)
        plan = load_tasks(tasks, targets=goals)
        ds = load(data)
        if year not in ds.years():
            raise BadInput(f"no annual data for {year}: the data covers {ds.years()}")
        with _progress() as progress:
            progress.add_task("building the report", total=None)
            pdf = build_report(report_data_from_dataset(ds, year, m, goals, plan))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
    console.print(f"wrote {out} ({len(pdf) / 1024:.0f} KiB)")


def _report_from_database(year: int, out: Path, home: Path | None, database: str | None) -> None:
    from mujun.reports.congress import build_report
    from mujun.web.commands import prepare

    db = Path(home or "mujun-home") / "mujun.sqlite3"
    if database is None and not db.exists():
        _fail(f"no database at {db}: pass --home (e.g. mujun-demo/home), --database, or --data DIR")
    prepare(home, database)
    from mujun.web.scitech import report_data
    from mujun.web.selectors import published_runs

    runs = published_runs()
    if year not in runs:
        _fail(f"no published evaluation of {year} in the database")
    with _progress() as progress:
        progress.add_task("building the report", total=None)
        pdf = build_report(report_data(runs[year]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    console.print(f"wrote {out} ({len(pdf) / 1024:.0f} KiB)")


def _targets_table(items) -> Table:
    table = Table(title=f"{items[0].year}: targets" if items else "targets")
    for col in (
        "target",
        "zone",
        "baseline",
        "target value",
        "current",
        "progress",
        "expected",
        "",
    ):
        table.add_column(col, justify="left" if col in ("target", "zone") else "right")
    for p in items:
        mark = "—" if p.on_track is None else ("on track" if p.on_track else "[red]behind[/red]")
        table.add_row(
            p.title,
            p.zone or "district",
            "—" if p.baseline is None else f"{p.baseline:,.0f} ({p.baseline_year})",
            "—" if p.target is None else f"{p.target:,.0f} ({p.deadline})",
            f"{p.current:,.0f} {p.unit}",
            "—" if p.progress is None else f"{p.progress:.0%}",
            f"{p.expected:.0%}",
            mark,
        )
    return table


@app.command()
def scitech(
    path: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook.")],
    year: Annotated[int, typer.Option(help="Year.")],
    targets: Annotated[
        Path | None, typer.Option(help="Your own targets file (TOML) instead of the shipped one.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Counts per year, division and zone: .csv or .parquet.")
    ] = None,
) -> None:
    """Print the sci-tech targets' progress and the qualification pipeline."""
    import polars as pl

    from mujun.dataset import load
    from mujun.reports.output import write_frame
    from mujun.scitech import pipeline
    from mujun.scitech.targets import load_targets, progress

    if out is not None and out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    with _scitech_input():
        goals = load_targets(targets)
        ds = load(path)
        items = progress(ds, goals, year)
    years = [y for y in ds.years() if y <= year]
    console.print(_targets_table(items))
    zones = pipeline.qualification_counts(ds, [year], "zone")
    district = pipeline.qualification_counts(ds, [year], "district")
    names = sorted(zones.get_column("zone").unique().to_list())
    table = Table(title=f"{year}: enterprises holding each qualification on 31 December")
    for col in ("qualification", "district", *names):
        table.add_column(col, justify="left" if col == "qualification" else "right")
    for kind, label in pipeline.KIND_LABELS.items():
        cells = [
            int(district.filter(pl.col("kind") == kind).get_column("enterprises").sum()),
            *[
                int(
                    zones.filter((pl.col("kind") == kind) & (pl.col("zone") == z))
                    .get_column("enterprises")
                    .sum()
                )
                for z in names
            ],
        ]
        table.add_row(f"{label} ({kind})", *map(str, cells))
    console.print(table)
    moves = pipeline.ladder_moves(ds)
    console.print(
        f"expiring in {year}: {pipeline.expiring(ds, year).height} · high-tech renewals due: "
        f"{pipeline.renewals_due(ds, year).height} · next-rung candidates: "
        f"{pipeline.candidates(ds, year).height} · moves up the ladder in {year}: "
        f"{moves.filter(pl.col('year') == year).height}"
    )
    if out is not None:
        frames = [
            pipeline.qualification_counts(ds, years, by)
            .rename({by: "area"})
            .with_columns(pl.lit(by).alias("by"))
            for by in ("district", "division_code", "zone")
        ]
        counts = pl.concat(frames).select("year", "by", "area", "kind", "enterprises")
        write_frame(counts, out)  # zone tags are the county's own text: escaped like any output
        console.print(f"wrote {out}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
