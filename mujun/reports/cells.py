"""Text cells made safe for spreadsheets: text that starts like a formula is not run as one.

Excel, WPS and LibreOffice take a CSV cell starting with = + - @ (or a tab or carriage return) as a
formula, and so does a workbook cell once someone edits it: a firm named =HYPERLINK(…) or
+cmd|' /C calc'!A0 would run. OWASP's advice, followed by every CSV and workbook that mujun writes
for people (the CLI's outputs and the web's exports): such text gets an apostrophe in front.
Numbers stay numbers; the canonical dataset's own files are data and are written as they are.
"""

from __future__ import annotations

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """`value` with an apostrophe in front when it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_text(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `escape_cell` applied to every cell of its text columns."""
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.any_horizontal([pl.col(c).str.starts_with(s) for s in FORMULA_START]))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )
