"""Import the bureaus' own files (税务, 统计, 自然资源, 租赁, 电力, 生态环境, 违法记录, 资质) into the
canonical dataset, and show every problem.

`ingest(paths)` reads each file (mujun.ingest.read), finds the table in each sheet and the agency's
layout it fits (mujun.ingest.table, profiles), reads every cell in the contract's units
(mujun.ingest.values, units), joins the sources by USCC (mujun.ingest.assemble) and validates the
result as any dataset. All-or-nothing unless `keep_going`: then the rows with problems are set aside
(with everything that depended on them) and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mujun.dataset import Dataset
from mujun.ingest.assemble import Source, assemble, validate
from mujun.ingest.problems import ERROR, WARNING, IngestProblem
from mujun.ingest.profile import Profile, ProfileError, load_profiles
from mujun.ingest.read import Limits, ReadError, Sheet, read_file
from mujun.ingest.table import locate, records

__all__ = ["IngestProblem", "IngestResult", "ProfileError", "ingest"]

MAX_ROUNDS = 20


@dataclass
class SheetSummary:
    file: str
    sheet: str
    profile: str
    header_rows: tuple[int, ...]
    data_rows: int
    columns: list[str]


@dataclass
class IngestResult:
    dataset: Dataset | None
    problems: list[IngestProblem]
    sheets: list[SheetSummary]
    rejected: set[Source] = field(default_factory=set)
    raw: dict[tuple[str, str], Sheet] = field(default_factory=dict)
    header_rows: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)

    @property
    def errors(self) -> list[IngestProblem]:
        return [p for p in self.problems if p.severity == ERROR]


def ingest(
    paths: list[str | Path],
    profiles: list[Profile] | None = None,
    keep_going: bool = False,
    limits: Limits = Limits(),
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestResult:
    profiles = profiles if profiles is not None else load_profiles()
    problems: list[IngestProblem] = []
    located, summaries, raw, header_rows = [], [], {}, {}
    whole_sheet_errors: set[tuple[str, str]] = set()
    for path in paths:
        path = Path(path)
        try:
            sheets = read_file(
                path, limits, (lambda d, t, n=path.name: progress(n, d, t)) if progress else None
            )
        except ReadError as exc:
            problems.append(IngestProblem(str(path), exc.sheet, None, "", "unreadable", exc.reason))
            continue
        found = []
        for sheet in sheets:
            loc = locate(sheet, profiles)
            if loc is None:
                found.append((sheet, None))
                continue
            recs, cell_problems = records(loc)
            problems += loc.problems + cell_problems
            if loc.problems:
                whole_sheet_errors.add((sheet.file, sheet.name))
            for row, kind, text in loc.skipped:
                problems.append(
                    IngestProblem(
                        sheet.file, sheet.name, row, "", "skipped", f"{kind}: {text}", WARNING
                    )
                )
            for text in loc.unused:
                problems.append(
                    IngestProblem(
                        sheet.file,
                        sheet.name,
                        loc.header_rows[-1],
                        text,
                        "unused_column",
                        f"column '{text}' is not used by the {loc.profile.name} layout",
                        WARNING,
                    )
                )
            located.append((loc, recs))
            raw[(sheet.file, sheet.name)] = sheet
            header_rows[(sheet.file, sheet.name)] = loc.header_rows
            summaries.append(
                SheetSummary(
                    sheet.file,
                    sheet.name,
                    loc.profile.name,
                    loc.header_rows,
                    len(loc.data),
                    [c.header for c in loc.columns],
                )
            )
            found.append((sheet, loc))
        any_found = any(loc is not None for _, loc in found)
        for sheet, loc in found:
            if loc is None and any(
                len([c for c in r if c not in (None, "")]) >= 2 for r in sheet.rows[:30]
            ):
                problems.append(
                    IngestProblem(
                        sheet.file,
                        sheet.name,
                        None,
                        "",
                        "unrecognized",
                        "cannot tell which agency's file this is: no layout's required columns were found "
                        f"({', '.join(p.name for p in profiles)}); name the columns as the bureau does or add "
                        "a profile with --profile",
                        WARNING if any_found else ERROR,
                    )
                )
    rejected: set[Source] = set()
    if keep_going:
        for loc, recs in located:
            key = (loc.sheet.file, loc.sheet.name)
            for rec in recs:
                if rec["_bad"] or key in whole_sheet_errors:
                    rejected.add((key[0], key[1], rec["_row"]))
    dataset = None
    for _ in range(MAX_ROUNDS):
        assembly = assemble(located, rejected)
        dataset, invalid = validate(assembly)
        round_problems = assembly.problems + invalid
        new = {
            (p.file, p.sheet, p.row)
            for p in round_problems
            if p.severity == ERROR and p.row is not None
        } - rejected
        if not keep_going or not new:
            problems += round_problems
            break
        problems += [
            p for p in round_problems if p.severity == ERROR and (p.file, p.sheet, p.row) in new
        ]
        rejected |= new
    result = IngestResult(dataset, _unique(problems), summaries, rejected, raw, header_rows)
    if result.errors and not keep_going:
        result.dataset = None
    return result


def _unique(problems: list[IngestProblem]) -> list[IngestProblem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
