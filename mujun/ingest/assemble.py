"""Assemble the canonical dataset from the records of every recognized sheet.

Facts are joined by 统一社会信用代码 (and year): each canonical cell remembers the file, sheet, row
and column it came from. Two files giving different values for the same fact is a conflict, listed
and never resolved by chance; a firm present in one source but missing from another is reported; the
same firm under two names is reported (the statistics bureau's name is the one kept, then the tax
bureau's, then any other). The result is validated as any dataset is, and every problem is mapped back
to the rows of the files it came from.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

from mujun.dataset import Dataset, DatasetError
from mujun.dataset.schema import TABLE
from mujun.ingest.headers import normalize
from mujun.ingest.problems import ERROR, WARNING, IngestProblem
from mujun.ingest.profile import Profile, shipped
from mujun.ingest.table import Located

Source = tuple[str, str, int]
"""(file, sheet, row) of a record."""

ANNUAL_SOURCES = ("statistics", "tax", "electricity", "environment")
NAME_PRIORITY = ("statistics", "tax", "electricity", "environment", "qualifications", "violations")
ENTERPRISE_FIELDS = ("name", "industry_code", "division_code", "established", "zones")
ANNUAL_FIELDS = tuple(c.name for c in TABLE["annual"].columns if c.name not in ("uscc", "year"))
SCALE_REVENUE = 2000.0
"""规上: annual main revenue of 20 million yuan (2000 万元) or more — the statistical definition,
used when a statistics file gives revenue but no scale column."""


@dataclass
class Fact:
    value: object
    source: Source
    column: str
    profile: str


@dataclass
class Assembly:
    tables: dict[str, pl.DataFrame]
    provenance: dict[str, list[list[Source]]]
    problems: list[IngestProblem] = field(default_factory=list)


def source_of(profile: Profile) -> str:
    """The agency a layout's data belongs to: a shipped layout's name or, for a county's own layout
    (--profile), the shipped layout whose fields it shares most (a county's tax layout is tax)."""
    layouts = shipped()
    if any(p.name == profile.name for p in layouts):
        return profile.name
    fields = set(profile.fields)
    return max(layouts, key=lambda p: (len(fields & set(p.fields)), -len(p.fields))).name


def _where(src: Source) -> str:
    file, sheet, row = src
    return f"{file}{' sheet ' + sheet if sheet else ''} row {row}"


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


class _Builder:
    def __init__(self, rejected: set[Source]):
        self.rejected = rejected
        self.problems: list[IngestProblem] = []
        self.annual: dict[tuple[str, int], dict[str, list[Fact]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.firms: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        self.sources_of: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.profiles_present: set[str] = set()
        self.parcels: dict[str, list[tuple[dict, Source]]] = defaultdict(list)
        self.leases: list[tuple[dict, Source]] = []
        self.events: list[tuple[dict, Source]] = []
        self.qualifications: list[tuple[dict, Source]] = []

    def problem(self, src: Source, column: str, kind: str, reason: str, severity: str = ERROR):
        file, sheet, row = src
        self.problems.append(IngestProblem(file, sheet, row, column, kind, reason, severity))

    def add(self, loc: Located, recs: list[dict]) -> None:
        profile = source_of(loc.profile)
        self.profiles_present.add(profile)
        for rec in recs:
            src = (loc.sheet.file, loc.sheet.name, rec["_row"])
            if src in self.rejected or rec["_bad"]:
                continue
            cols = rec["_cols"]
            if profile in ("land",):
                self.parcels[rec.get("parcel_id")].append((rec, src))
                continue
            if profile == "leases":
                self.leases.append((rec, src))
                continue
            uscc = rec.get("uscc")
            if uscc is None:
                self.problem(
                    src,
                    cols.get("uscc", "统一社会信用代码"),
                    "missing_value",
                    "no 统一社会信用代码 (USCC) in this row",
                )
                continue
            for f in ENTERPRISE_FIELDS:
                if rec.get(f) is not None:
                    self.firms[uscc][f].append(Fact(rec[f], src, cols.get(f, ""), profile))
            if profile == "violations":
                self.events.append((rec, src))
            elif profile == "qualifications":
                self.qualifications.append((rec, src))
            elif profile in ANNUAL_SOURCES:
                year = rec.get("year")
                if year is None:
                    self.problem(
                        src,
                        cols.get("year", "年度"),
                        "missing_value",
                        "no year: add a 年度 column or name the year in the title (e.g. 2022年度…)",
                    )
                    continue
                key = (uscc, year)
                self.sources_of[key].add(profile)
                for f in ANNUAL_FIELDS:
                    if f in rec and rec[f] is not None:
                        self.annual[key][f].append(Fact(rec[f], src, cols.get(f, ""), profile))

    # -- resolving facts ------------------------------------------------------------------------
    def resolve(self, facts: list[Fact], what: str) -> Fact | None:
        """The one value of a fact; a second, different value is a conflict (both listed)."""
        first = facts[0]
        for other in facts[1:]:
            if not _same(first.value, other.value):
                for fact, against in ((first, other), (other, first)):
                    self.problem(
                        fact.source,
                        fact.column,
                        "conflict",
                        f"{what}: {fact.value!r} here but {against.value!r} in "
                        f"{_where(against.source)}",
                    )
                return None
        return first

    def enterprise_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        for uscc in sorted(self.firms):
            facts = self.firms[uscc]
            row: dict = {"uscc": uscc}
            sources: list[Source] = []
            names = facts.get("name", [])
            distinct = {}
            for fact in names:
                distinct.setdefault(normalize(fact.value), fact)
            if len(distinct) > 1:
                listed = "; ".join(f"'{f.value}' ({_where(f.source)})" for f in distinct.values())
                first = next(iter(distinct.values()))
                self.problem(
                    first.source,
                    first.column,
                    "name_mismatch",
                    f"{uscc} appears under {len(distinct)} names: {listed}",
                    WARNING,
                )
            if names:
                best = min(
                    names,
                    key=lambda f: (
                        NAME_PRIORITY.index(f.profile) if f.profile in NAME_PRIORITY else 99
                    ),
                )
                row["name"] = best.value
                sources.append(best.source)
            for f in ("industry_code", "division_code", "established", "zones"):
                if facts.get(f):
                    fact = self.resolve(facts[f], f"{uscc} {f}")
                    if fact is not None:
                        row[f] = fact.value
                        sources.append(fact.source)
            if "industry_code" not in row and "statistics" in self.profiles_present:
                first = next(f for fs in facts.values() for f in fs)
                self.problem(
                    first.source,
                    first.column,
                    "missing_in_source",
                    f"{uscc} is in no statistics file: its industry, subdistrict and founding "
                    "date are unknown",
                )
            rows.append(row)
            prov.append(sources)
        return rows, prov

    def annual_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        present = [p for p in ANNUAL_SOURCES if p in self.profiles_present]
        for key in sorted(self.annual):
            uscc, year = key
            facts = self.annual[key]
            row: dict = {"uscc": uscc, "year": year}
            sources: list[Source] = []
            for f, fs in facts.items():
                fact = self.resolve(fs, f"{uscc} {year} {f}")
                if fact is not None:
                    row[f] = fact.value
                    if fact.source not in sources:
                        sources.append(fact.source)
            missing = [p for p in present if p not in self.sources_of[key]]
            if missing and sources:
                have = ", ".join(sorted(self.sources_of[key]))
                self.problem(
                    sources[0],
                    "统一社会信用代码",
                    "missing_in_source",
                    f"{uscc} {year} is in {have} but missing from {', '.join(missing)}",
                    WARNING,
                )
            if (
                row.get("scale") is None
                and row.get("revenue") is not None
                and "statistics" in self.sources_of[key]
            ):
                row["scale"] = "above" if row["revenue"] >= SCALE_REVENUE else "below"
            if row.get("scale") is None:
                self.problem(
                    sources[0],
                    "规模",
                    "missing_value",
                    f"{uscc} {year}: no statistics record says whether it is 规上 or 规下",
                )
            rows.append(row)
            prov.append(sources)
        return rows, prov

    def _uscc_by_name(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = defaultdict(set)
        for uscc, facts in self.firms.items():
            for fact in facts.get("name", []):
                index[normalize(fact.value)].add(uscc)
        return index

    def _who(
        self, rec: dict, code_field: str, name_field: str, src: Source, cols: dict
    ) -> str | None:
        if rec.get(code_field):
            return rec[code_field]
        name = rec.get(name_field)
        if name is None:
            self.problem(
                src,
                cols.get(code_field, code_field),
                "missing_value",
                "no 统一社会信用代码 and no name",
            )
            return None
        found = self._uscc_by_name().get(normalize(name), set())
        if len(found) == 1:
            return next(iter(found))
        reason = (
            "no enterprise of that name in the other files"
            if not found
            else f"{len(found)} enterprises have that name"
        )
        self.problem(
            src,
            cols.get(name_field, name_field),
            "unknown_reference",
            f"cannot tell the USCC of '{name}': {reason}; add a 统一社会信用代码 column",
        )
        return None

    def parcel_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        for pid in sorted(p for p in self.parcels if p is not None):
            entries = self.parcels[pid]
            rec, src = entries[0]
            for _, osrc in entries[1:]:
                self.problem(
                    osrc,
                    rec["_cols"].get("parcel_id", "宗地编号"),
                    "duplicate_row",
                    f"parcel {pid} is listed again (first at {_where(src)})",
                )
            owner = self._who(rec, "owner_uscc", "owner_name", src, rec["_cols"])
            if owner is None:
                continue
            row = {k: rec.get(k) for k in TABLE["parcels"].names if k in rec}
            row["owner_uscc"] = owner
            rows.append(row)
            prov.append([src])
        for rec, src in self.parcels.get(None, []):
            self.problem(
                src,
                rec["_cols"].get("parcel_id", "宗地编号"),
                "missing_value",
                "no 宗地编号 (parcel id)",
            )
        return rows, prov

    def occupancy_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        for rec, src in self.leases:
            cols = rec["_cols"]
            tenant = self._who(rec, "tenant_uscc", "tenant_name", src, cols)
            if tenant is None:
                continue
            start = rec.get("year_from") or (
                rec["lease_start"].year if rec.get("lease_start") else None
            )
            end = rec.get("year_to") or (rec["lease_end"].year if rec.get("lease_end") else None)
            if start is None:
                self.problem(
                    src,
                    cols.get("year_from", "起始年度"),
                    "missing_value",
                    "no start of the lease: add 起始年度 or 租赁起始日期",
                )
                continue
            rows.append(
                {
                    "parcel_id": rec.get("parcel_id"),
                    "uscc": tenant,
                    "year_from": start,
                    "year_to": end,
                    "floor_area_m2": rec.get("leased_floor_m2"),
                }
            )
            prov.append([src])
        return rows, prov

    def event_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        for rec, src in self.events:
            year = rec.get("year") or (rec["event_date"].year if rec.get("event_date") else None)
            if year is None:
                self.problem(
                    src,
                    rec["_cols"].get("year", "年度"),
                    "missing_value",
                    "no year or date of the event",
                )
                continue
            rows.append(
                {
                    "uscc": rec["uscc"],
                    "year": year,
                    "kind": rec["event_kind"],
                    "note": rec.get("note"),
                }
            )
            prov.append([src])
        return rows, prov

    def qualification_rows(self) -> tuple[list[dict], list[list[Source]]]:
        rows, prov = [], []
        for rec, src in self.qualifications:
            rows.append(
                {
                    "uscc": rec["uscc"],
                    "kind": rec["qualification"],
                    "level": rec.get("level"),
                    "valid_from": rec.get("valid_from"),
                    "valid_to": rec.get("valid_to"),
                }
            )
            prov.append([src])
        return rows, prov


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = TABLE[table].schema
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


def assemble(
    located: list[tuple[Located, list[dict]]], rejected: set[Source] = frozenset()
) -> Assembly:
    """The canonical tables from every sheet's records (rows in `rejected` left out)."""
    b = _Builder(set(rejected))
    for loc, recs in located:
        b.add(loc, recs)
    built = {
        "enterprises": b.enterprise_rows(),
        "annual": b.annual_rows(),
        "parcels": b.parcel_rows(),
        "occupancy": b.occupancy_rows(),
        "events": b.event_rows(),
        "qualifications": b.qualification_rows(),
    }
    tables = {name: _frame(name, rows) for name, (rows, _) in built.items()}
    provenance = {name: prov for name, (_, prov) in built.items()}
    return Assembly(tables, provenance, b.problems)


def validate(assembly: Assembly) -> tuple[Dataset | None, list[IngestProblem]]:
    """Validate the assembled tables; each problem is placed at the file rows its row came from."""
    try:
        return Dataset.from_frames(**assembly.tables), []
    except DatasetError as exc:
        out = []
        for p in exc.problems:
            sources = assembly.provenance.get(p.table, [])
            where = sources[p.row - 1] if p.row is not None and 0 < p.row <= len(sources) else []
            for file, sheet, row in where or [("", "", None)]:
                out.append(
                    IngestProblem(
                        file, sheet, row, p.column or "", "invalid", f"{p.table}: {p.reason}"
                    )
                )
        return None, out
