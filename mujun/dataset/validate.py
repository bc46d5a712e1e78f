"""Validation of the canonical dataset: every problem collected, naming file, row, column and why.

Checks, each with its `kind` code:
- missing_table, missing_column: a required table or column is absent;
- bad_value: a cell that is not a number / integer / date (YYYY-MM-DD) where one is expected
  (infinity and NaN are not numbers);
- bad_type: a column whose cells are not single values (a Parquet list, struct or binary column);
- required_value: an empty cell where the contract needs a value;
- negative, not_positive, bad_choice: amounts below zero, areas that must be positive, unknown
  codes;
- implausible_value: an amount above its column's `max_value` (more than any one firm has);
- too_long: text longer than its column's `max_length` (what the web app's database holds);
- bad_uscc: shape or GB 32100 check character wrong (mujun.dataset.uscc);
- bad_industry, bad_division: not a GB/T 4754-2017 class (4 digits) / not a division code;
- duplicate_key: a second row with the same key as an earlier one;
- unknown_reference: occupancy → parcels and enterprises, parcels → owners, annual → enterprises, …;
- year_range: years before 1978 or after the current year, dates in the future;
- impossible: value added above output, periods that end before they start, overlapping occupancy
  of the same firm on the same parcel, floor area occupied beyond the parcel's floor area in a year;
- bad_geometry: a parcel geometry that is not a GeoJSON (Multi)Polygon in WGS84.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from mujun.dataset.io import RawTable
from mujun.dataset.problems import Problem
from mujun.dataset.reference import industry_classes
from mujun.dataset.schema import (
    MIN_YEAR,
    POLARS_TYPE,
    REFERENCES,
    TABLE,
    TABLES,
    YEAR_COLUMNS,
    Table,
)
from mujun.dataset.uscc import uscc_problem

ROW = "_row"
"""Column carrying each row's number in its file, kept only while validating."""

USCC_COLUMNS = (
    ("enterprises", "uscc"),
    ("annual", "uscc"),
    ("parcels", "owner_uscc"),
    ("occupancy", "uscc"),
    ("events", "uscc"),
    ("qualifications", "uscc"),
    ("projects", "applicant_uscc"),
    ("talents", "uscc"),
    ("exemptions", "uscc"),
    ("land_confirmations", "uscc"),
)


class _Collector:
    def __init__(self, files: dict[str, str]):
        self.files = files
        self.problems: list[Problem] = []
        self.absent: set[tuple[str, str]] = set()
        """(table, column) pairs missing from their file: reported once, not again per row."""
        self.unparsed: dict[tuple[str, str], list[int]] = {}
        """Rows whose cell did not parse (bad_value): not reported again as an empty cell."""

    def add(self, table: str, row: int | None, column: str | None, reason: str, kind: str) -> None:
        self.problems.append(
            Problem(table, row, column, reason, kind, self.files.get(table, table))
        )

    def rows(self, table: str, frame: pl.DataFrame, column: str, reason_expr: pl.Expr, kind: str):
        """Add one problem per row of `frame` (already filtered), the reason computed per row."""
        if frame.height == 0:
            return
        out = frame.select(pl.col(ROW), reason_expr.alias("_reason"))
        for row, reason in out.iter_rows():
            self.add(table, row, column, reason, kind)


EXPECTED = {
    "date": "a date (YYYY-MM-DD)",
    "int": "a whole number",
    "float": "a number",
    "str": "text",
}
NOT_CELLS = (pl.List, pl.Array, pl.Struct, pl.Binary, pl.Object, pl.Duration)
"""Column types whose values are not cells (Parquet can hold them; a sheet or CSV cannot)."""


def _fmt(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)


def _empty(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema={**table.schema, ROW: pl.Int64})


def parse(raw: dict[str, RawTable], out: _Collector) -> dict[str, pl.DataFrame]:
    """Cast text cells to the contract's types; cells that do not fit become problems (and null)."""
    frames: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        if table.name not in raw:
            if table.required:
                out.add(table.name, None, None, f"table {table.name} is missing", "missing_table")
            frames[table.name] = _empty(table)
            continue
        source = raw[table.name]
        frame = source.frame
        absent = [c.name for c in table.columns if c.required and c.name not in frame.columns]
        for name in absent:
            out.add(table.name, None, name, f"required column {name} is missing", "missing_column")
            out.absent.add((table.name, name))
        not_cells = [c for c, dtype in frame.schema.items() if isinstance(dtype, NOT_CELLS)]
        for name in not_cells:
            if name in table.names:
                out.add(
                    table.name,
                    None,
                    name,
                    f"expected {EXPECTED[table.column(name).kind]} in each cell, got a column of "
                    f"type {frame.schema[name]}",
                    "bad_type",
                )
                out.absent.add((table.name, name))
        frame = frame.drop(not_cells)
        frame = frame.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).add(source.first_row).alias(ROW)
        )
        if set(frame.columns) - {ROW}:
            # blank lines / sheet rows are not data: dropped after numbering, so rows keep numbers
            blank = pl.all_horizontal(
                [
                    pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == ""
                    for c in frame.columns
                    if c != ROW
                ]
            )
            frame = frame.filter(~blank)
        casts = []
        for col in table.columns:
            if col.name not in frame.columns:
                casts.append(pl.lit(None, POLARS_TYPE[col.kind]).alias(col.name))
                continue
            dtype = frame.schema[col.name]
            if dtype == POLARS_TYPE[col.kind] and col.kind in ("int", "date"):
                casts.append(pl.col(col.name))
                continue
            text = pl.col(col.name).cast(pl.String).str.strip_chars()
            text = pl.when(text == "").then(None).otherwise(text)
            present = text.is_not_null()
            if col.kind == "str":
                value = text
            elif col.kind == "float" and dtype == pl.Float64:
                # numbers as Parquet holds them: only inf and NaN do not fit (not cast to text)
                present = pl.col(col.name).is_not_null()
                value = pl.when(pl.col(col.name).is_finite()).then(pl.col(col.name))
            elif col.kind == "date":
                value = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            else:
                number = text.cast(pl.Float64, strict=False)
                number = pl.when(number.is_finite()).then(number)
                if col.kind == "int":
                    number = pl.when(number == number.floor()).then(number).cast(pl.Int64)
                value = number
            bad = frame.filter(present & value.is_null())
            if bad.height:
                out.unparsed[(table.name, col.name)] = bad.get_column(ROW).to_list()
            out.rows(
                table.name,
                bad,
                col.name,
                pl.format(
                    "expected {}, got '{}'",
                    pl.lit(EXPECTED[col.kind]),
                    text,
                ),
                "bad_value",
            )
            casts.append(value.alias(col.name))
        frames[table.name] = frame.select([*casts, pl.col(ROW)])
    return frames


def _check_columns(table: Table, frame: pl.DataFrame, out: _Collector) -> None:
    for col in table.columns:
        c = pl.col(col.name)
        if col.nonnull and (table.name, col.name) not in out.absent:
            unparsed = out.unparsed.get((table.name, col.name), [])
            out.rows(
                table.name,
                frame.filter(c.is_null() & ~pl.col(ROW).is_in(unparsed)),
                col.name,
                pl.lit("a value is required"),
                "required_value",
            )
        if col.min_value is not None:
            out.rows(
                table.name,
                frame.filter(c < col.min_value),
                col.name,
                pl.format(
                    "negative amount {} (expected ≥ {})", _fmt(c), pl.lit(f"{col.min_value:g}")
                ),
                "negative",
            )
        if col.max_value is not None:
            out.rows(
                table.name,
                frame.filter(c > col.max_value),
                col.name,
                pl.format(
                    "implausible amount {} (expected at most {})",
                    _fmt(c),
                    pl.lit(f"{col.max_value:g}"),
                ),
                "implausible_value",
            )
        if col.positive:
            out.rows(
                table.name,
                frame.filter(c <= 0),
                col.name,
                pl.format("{} is not a positive amount (expected > 0)", _fmt(c)),
                "not_positive",
            )
        if col.max_length is not None:
            out.rows(
                table.name,
                frame.filter(c.str.len_chars() > col.max_length),
                col.name,
                pl.format(
                    "{} characters long (expected at most {})",
                    c.str.len_chars(),
                    pl.lit(col.max_length),
                ),
                "too_long",
            )
        if col.choices:
            out.rows(
                table.name,
                frame.filter(c.is_not_null() & ~c.is_in(list(col.choices))),
                col.name,
                pl.format(
                    "unknown value '{}' (expected one of {})", c, pl.lit(", ".join(col.choices))
                ),
                "bad_choice",
            )


def _check_codes(frames: dict[str, pl.DataFrame], out: _Collector) -> set[tuple[str, str]]:
    """USCC, industry and division codes. Returns the (table, column) pairs' bad USCC values."""
    bad_codes: set[tuple[str, str]] = set()
    for table, column in USCC_COLUMNS:
        frame = frames[table]
        values = frame.get_column(column).drop_nulls().unique().to_list()
        reasons = {v: r for v in values if (r := uscc_problem(v)) is not None}
        if not reasons:
            continue
        bad_codes.update((table, v) for v in reasons)
        bad = frame.filter(pl.col(column).is_in(list(reasons)))
        reason = pl.format(
            "invalid USCC '{}': {}",
            pl.col(column),
            pl.col(column).replace_strict(reasons, return_dtype=pl.String),
        )
        out.rows(table, bad, column, reason, "bad_uscc")
    classes = list(industry_classes())
    for table in ("enterprises", "projects"):
        frame = frames[table]
        code = pl.col("industry_code")
        out.rows(
            table,
            frame.filter(code.is_not_null() & ~code.is_in(classes)),
            "industry_code",
            pl.format("'{}' is not a GB/T 4754-2017 class (4 digits, e.g. 2614)", code),
            "bad_industry",
        )
    for table in ("enterprises", "parcels"):
        code = pl.col("division_code")
        ok = code.str.contains(r"^\d{6}(\d{3})?(\d{3})?$")
        out.rows(
            table,
            frames[table].filter(code.is_not_null() & ~ok),
            "division_code",
            pl.format("'{}' is not a division code (6, 9 or 12 digits)", code),
            "bad_division",
        )
    return bad_codes


def _check_keys(frames: dict[str, pl.DataFrame], out: _Collector) -> None:
    for table in TABLES:
        frame = frames[table.name]
        key = list(table.key)
        dup = frame.with_columns(
            pl.col(ROW).min().over(key).alias("_first"),
        ).filter((pl.col(ROW) != pl.col("_first")) & pl.all_horizontal(pl.col(key).is_not_null()))
        what = pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator=", ")
        out.rows(
            table.name,
            dup,
            ", ".join(key),
            pl.format("duplicate key ({}): the same as row {}", what, pl.col("_first")),
            "duplicate_key",
        )


def _check_references(frames: dict[str, pl.DataFrame], out: _Collector, bad_codes) -> None:
    keys = {
        "enterprises": frames["enterprises"].get_column("uscc").drop_nulls().unique(),
        "parcels": frames["parcels"].get_column("parcel_id").drop_nulls().unique(),
    }
    for table, column, target in REFERENCES:
        frame = frames[table]
        c = pl.col(column)
        dangling = frame.filter(c.is_not_null() & ~c.is_in(keys[target].implode()))
        if bad_codes:
            # an invalid USCC is reported once, as invalid, not again as unknown
            bad = [v for (t, v) in bad_codes if t == table]
            dangling = dangling.filter(~c.is_in(bad))
        what = "enterprise" if target == "enterprises" else "parcel"
        out.rows(
            table,
            dangling,
            column,
            pl.format("unknown {} '{}' (not in {})", pl.lit(what), c, pl.lit(target)),
            "unknown_reference",
        )


def _check_years(frames: dict[str, pl.DataFrame], out: _Collector, today: dt.date) -> None:
    for table, column in YEAR_COLUMNS:
        c = pl.col(column)
        out.rows(
            table,
            frames[table].filter((c < MIN_YEAR) | (c > today.year)),
            column,
            pl.format(
                "year {} out of range ({}–{})", _fmt(c), pl.lit(MIN_YEAR), pl.lit(today.year)
            ),
            "year_range",
        )
    for table, column in (
        ("enterprises", "established"),
        ("qualifications", "valid_from"),
        ("exemptions", "approved_on"),
        ("land_confirmations", "confirmed_on"),
    ):
        c = pl.col(column)
        out.rows(
            table,
            frames[table].filter((c > today) | (c.dt.year() < 1900)),
            column,
            pl.format("date {} out of range (1900 to today)", _fmt(c)),
            "year_range",
        )


def _check_impossible(frames: dict[str, pl.DataFrame], out: _Collector, today: dt.date) -> None:
    annual = frames["annual"]
    out.rows(
        "annual",
        annual.filter(pl.col("value_added") > pl.col("output")),
        "value_added",
        pl.format(
            "value added {} exceeds output {} (value added is part of output)",
            _fmt(pl.col("value_added")),
            _fmt(pl.col("output")),
        ),
        "impossible",
    )
    for table, start, end in (
        ("occupancy", "year_from", "year_to"),
        ("qualifications", "valid_from", "valid_to"),
    ):
        out.rows(
            table,
            frames[table].filter(pl.col(end) < pl.col(start)),
            end,
            pl.format(
                "{} {} is before {} {}",
                pl.lit(end),
                _fmt(pl.col(end)),
                pl.lit(start),
                _fmt(pl.col(start)),
            ),
            "impossible",
        )
    _check_floor_area(frames, out, today.year)


def _occupancy_years(occupancy: pl.DataFrame, last_year: int) -> pl.DataFrame:
    """One row per occupancy row and year it covers (open periods run to `last_year`).

    Years outside MIN_YEAR..`last_year` are left out: they are reported as year_range, and a typo
    such as 20221231 must not expand into millions of rows.
    """
    start = pl.max_horizontal(pl.col("year_from"), pl.lit(MIN_YEAR))
    end = pl.min_horizontal(pl.col("year_to").fill_null(last_year), pl.lit(last_year))
    return (
        occupancy.filter(pl.col("year_from").is_not_null() & (start <= end))
        .with_columns(pl.int_ranges(start, end + 1).alias("year"))
        .explode("year")
    )


def _check_floor_area(frames: dict[str, pl.DataFrame], out: _Collector, this_year: int) -> None:
    occupancy = frames["occupancy"].filter(
        pl.col("parcel_id").is_not_null() & pl.col("uscc").is_not_null()
    )
    if occupancy.height == 0:
        return
    years = [
        frames["annual"].get_column("year").max(),
        occupancy.get_column("year_from").max(),
        occupancy.get_column("year_to").max(),
    ]
    last_year = min(max(int(y) for y in years if y is not None), this_year)
    per_year = _occupancy_years(occupancy, last_year)
    overlap = (
        per_year.group_by("parcel_id", "uscc", "year")
        .agg(pl.col(ROW).sort().alias("rows"))
        .filter(pl.col("rows").list.len() > 1)
        .group_by("parcel_id", "uscc", pl.col("rows"))
        .agg(pl.col("year").min().alias("first"), pl.col("year").max().alias("last"))
        .sort("rows")
    )
    for parcel, uscc, rows, first, last in overlap.iter_rows():
        out.add(
            "occupancy",
            rows[-1],
            "year_from",
            f"{uscc} occupies parcel {parcel} twice in {first}–{last} "
            f"(rows {', '.join(map(str, rows))})",
            "impossible",
        )
    parcels = (
        frames["parcels"]
        .filter(pl.col("floor_area_m2") >= 0)  # a negative floor area is reported as such
        .select("parcel_id", "floor_area_m2", pl.col(ROW).alias("_parcel_row"))
    )
    over = (
        per_year.group_by("parcel_id", "year")
        .agg(pl.col("floor_area_m2").sum().alias("occupied"), pl.col(ROW).sort().alias("rows"))
        .join(parcels, on="parcel_id", how="inner")
        .filter(pl.col("occupied") > pl.col("floor_area_m2") * (1 + 1e-9))
        .sort("_parcel_row", "year")
    )
    for parcel, year, occupied, rows, floor, parcel_row in over.iter_rows():
        out.add(
            "parcels",
            parcel_row,
            "floor_area_m2",
            f"parcel {parcel}: floor area occupied in {year} is {occupied:,.2f} m² "
            f"(occupancy rows {', '.join(map(str, rows))}) but the parcel has {floor:,.2f} m²",
            "impossible",
        )


def _check_geometry(frames: dict[str, pl.DataFrame], out: _Collector) -> None:
    parcels = frames["parcels"].filter(pl.col("geometry").is_not_null())
    for row, text in parcels.select(ROW, "geometry").iter_rows():
        reason = geometry_problem(text)
        if reason:
            out.add("parcels", row, "geometry", reason, "bad_geometry")


def geometry_problem(text: str) -> str | None:
    """Why `text` is not a GeoJSON Polygon or MultiPolygon in WGS84 longitude/latitude, or None."""
    try:
        geo = json.loads(text)
    except ValueError:
        return "not valid JSON (expected a GeoJSON Polygon)"
    if not isinstance(geo, dict) or geo.get("type") not in ("Polygon", "MultiPolygon"):
        return "expected a GeoJSON object of type Polygon or MultiPolygon"
    polygons = geo.get("coordinates")
    if geo["type"] == "Polygon":
        polygons = [polygons]
    try:
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    return "each ring needs at least 4 positions and must end where it starts"
                for lon, lat, *_ in ring:
                    if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
                        return f"position ({lon}, {lat}) is not WGS84 longitude/latitude"
    except (TypeError, ValueError):
        return "coordinates are not lists of [longitude, latitude] positions"
    return None


def validate_raw(
    raw: dict[str, RawTable], today: dt.date | None = None
) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    """Parse and check every table; returns the typed frames (with row numbers) and the problems."""
    files = {name: t.file for name, t in raw.items()}
    out = _Collector(files)
    frames = parse(raw, out)
    for table in TABLES:
        _check_columns(table, frames[table.name], out)
    bad_codes = _check_codes(frames, out)
    _check_keys(frames, out)
    _check_references(frames, out, bad_codes)
    today = today or dt.date.today()
    _check_years(frames, out, today)
    _check_impossible(frames, out, today)
    _check_geometry(frames, out)
    order = {t.name: i for i, t in enumerate(TABLES)}
    problems = sorted(
        out.problems,
        key=lambda p: (
            order.get(p.table, -1),
            p.row if p.row is not None else -1,
            p.column or "",
            p.reason,
        ),
    )
    return frames, problems


__all__ = ["TABLE", "geometry_problem", "validate_raw"]
