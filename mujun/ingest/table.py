"""Find the table in a sheet as people lay it out, and read its rows into records.

A sheet may have title and note lines above the header ('2022年度企业纳税情况表', '单位：万元'), a
header of one or two rows (a merged group cell over its sub-columns), a totals row at the bottom and
notes below it. The header row is the one whose cells name most of a profile's fields; which profile
wins tells which agency's file this is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mujun.ingest.fields import FIELDS, QUANTITIES
from mujun.ingest.headers import Header, normalize, parse_header, unit_note, year_note
from mujun.ingest.problems import IngestProblem
from mujun.ingest.profile import Profile
from mujun.ingest.read import Sheet
from mujun.ingest.units import factor, known_units
from mujun.ingest.values import PARSERS, is_empty, parse_number, text_of

SCAN_ROWS = 30
TOTALS = ("合计", "总计", "小计", "总合计", "全区合计", "全市合计", "累计")
NOTES = ("注", "备注", "说明", "制表", "填报", "填表", "审核", "数据来源", "负责人", "统计负责人")


@dataclass(frozen=True)
class Column:
    index: int
    field: str
    header: str
    factor: float | None
    year: int | None


@dataclass
class Located:
    sheet: Sheet
    profile: Profile
    header_rows: tuple[int, ...]
    columns: list[Column]
    unused: list[str]
    data: list[tuple[int, list]]
    skipped: list[tuple[int, str, str]]
    year: int | None
    problems: list[IngestProblem] = field(default_factory=list)


def _cell(row: list, i: int) -> object:
    return row[i] if i < len(row) else None


def _headers(rows: list[list], start: int, depth: int) -> list[tuple[int, Header, Header | None]]:
    """(column, header, parent header) for a header of `depth` rows starting at `start`."""
    top = rows[start]
    if depth == 1:
        return [(i, parse_header(c), None) for i, c in enumerate(top) if not is_empty(c)]
    bottom = rows[start + 1] if start + 1 < len(rows) else []
    width = max(len(top), len(bottom))
    out, parent = [], None
    for i in range(width):
        t, b = _cell(top, i), _cell(bottom, i)
        if not is_empty(t):
            parent = t
        elif is_empty(b):
            parent = None  # a gap ends a merged group
        if not is_empty(b):
            out.append((i, parse_header(b), parse_header(parent) if parent is not None else None))
        elif not is_empty(t):
            out.append((i, parse_header(t), None))
    return out


def _match(headers, index: dict[str, str]):
    """Columns whose header (or, failing that, its group header) names a field of the index."""
    matched = []
    for i, h, parent in headers:
        name = next((index[n] for n in h.names if n in index), None)
        unit, year = h.unit, h.year
        text = h.text
        if name is None and parent is not None:
            name = next((index[n] for n in parent.names if n in index), None)
        if parent is not None:
            unit = unit or parent.unit
            year = year or parent.year
            text = f"{parent.text}/{h.text}"
        matched.append((i, name, unit, year, text))
    return matched


def _score(matched, profile: Profile) -> tuple[int, int]:
    found = {m[1] for m in matched if m[1]}
    return (int(set(profile.required) <= found), len(found))


def locate(sheet: Sheet, profiles: list[Profile]) -> Located | None:
    """The table of `sheet` and the profile it fits best, or None if no profile fits."""
    rows = sheet.rows
    best = None
    for start in range(min(len(rows), SCAN_ROWS)):
        if sum(not is_empty(c) for c in rows[start]) < 2:
            continue
        for depth in (1, 2):
            headers = _headers(rows, start, depth)
            for order, profile in enumerate(profiles):
                matched = _match(headers, profile.header_index())
                score = _score(matched, profile)
                key = (*score, -depth, -start, -order)
                if score[0] and (best is None or key > best[0]):
                    best = (key, profile, start, depth, matched)
    if best is None:
        return None
    _, profile, start, depth, matched = best
    above = [c for row in rows[:start] for c in row if not is_empty(c)]
    sheet_unit = next((u for c in above if (u := unit_note(c))), None)
    year = next((y for c in [sheet.name, *above] if (y := year_note(c))), None)
    problems: list[IngestProblem] = []
    columns, unused, seen = [], [], set()
    header_row = start + depth  # 1-based number of the last header row
    for i, name, unit, col_year, text in matched:
        if name is None:
            unused.append(text)
            continue
        if (name, col_year) in seen:
            problems.append(
                IngestProblem.at(
                    sheet,
                    header_row,
                    text,
                    "duplicate_column",
                    f"a second column for {name} ({FIELDS[name].headers[0]})",
                )
            )
            continue
        seen.add((name, col_year))
        kind = FIELDS[name].kind
        f = None
        if kind in QUANTITIES:
            unit = unit or profile.units.get(name)
            if unit is None and sheet_unit and factor(kind, sheet_unit) is not None:
                unit = sheet_unit
            if unit is None and kind == "persons":
                unit = "人"
            if unit is None:
                problems.append(
                    IngestProblem.at(
                        sheet,
                        header_row,
                        text,
                        "unit_missing",
                        f"column '{text}' gives no unit: write it in the header, e.g. "
                        f"'{FIELDS[name].headers[0]}（{_example(kind)}）', or set it in a profile",
                    )
                )
                continue
            f = factor(kind, unit)
            if f is None:
                problems.append(
                    IngestProblem.at(
                        sheet,
                        header_row,
                        text,
                        "unit_unknown",
                        f"unit '{unit}' of column '{text}' is not one mujun knows for this "
                        f"quantity; use one of {known_units(kind)}",
                    )
                )
                continue
        columns.append(Column(i, name, text, f, col_year))
    data, skipped = [], []
    header_names = {normalize(c) for c in rows[start] if not is_empty(c)}
    for r in range(header_row, len(rows)):
        row = rows[r]
        cells = [c for c in row if not is_empty(c)]
        if not cells:
            continue
        first = normalize(text_of(cells[0]))
        if first.replace(":", "").replace("：", "") in TOTALS or first.startswith(("合计", "总计")):
            skipped.append((r + 1, "totals", text_of(cells[0])))
        elif len(cells) <= 2 and first.startswith(NOTES):
            skipped.append((r + 1, "note", " ".join(text_of(c) for c in cells)[:200]))
        elif {normalize(text_of(c)) for c in cells} <= header_names:
            skipped.append((r + 1, "repeated_header", text_of(cells[0])))
        else:
            data.append((r + 1, row))
    return Located(
        sheet,
        profile,
        tuple(range(start + 1, header_row + 1)),
        columns,
        unused,
        data,
        skipped,
        year,
        problems,
    )


def _example(kind: str) -> str:
    return {
        "money": "万元",
        "area": "平方米",
        "energy": "吨标准煤",
        "electricity": "千瓦时",
        "emissions": "吨",
        "fraction": "%",
    }.get(kind, "")


def records(loc: Located) -> tuple[list[dict], list[IngestProblem]]:
    """One record per data row and year: {field: value, '_row': n, '_cols': {field: header}}.

    Values are in the contract's units. A cell that cannot be read is a problem naming file, sheet,
    row and column, and the record keeps the field empty (the assembly rejects the row)."""
    problems: list[IngestProblem] = []
    out: list[dict] = []
    years = sorted({c.year for c in loc.columns if c.year is not None})
    constants = loc.profile.constant_values()
    for row_number, row in loc.data:
        base: dict = {"_row": row_number, "_cols": {}, "_bad": False}
        per_year: dict[int, dict] = {y: {} for y in years}
        for col in loc.columns:
            cell = _cell(row, col.index)
            kind = FIELDS[col.field].kind
            if kind in QUANTITIES:
                value, reason = parse_number(cell, percent_ok=kind == "fraction")
                if value is not None and col.factor != 1:
                    # 15 significant digits: 42200 元 is 4.22 万元, not 4.220000000000001
                    value = float(f"{value * col.factor:.15g}")
            else:
                value, reason = PARSERS[kind](cell)
            if reason:
                problems.append(
                    IngestProblem.at(loc.sheet, row_number, col.header, "bad_value", reason)
                )
                base["_bad"] = True
            target = per_year[col.year] if col.year is not None else base
            target[col.field] = value
            base["_cols"][col.field] = col.header
        for key, value in constants.items():
            base.setdefault(key, value)
        if years:
            for y in years:
                out.append({**base, **per_year[y], "year": y})
        else:
            if base.get("year") is None and loc.year is not None and "year" in loc.profile.fields:
                base["year"] = loc.year
            out.append(base)
    return out, problems
