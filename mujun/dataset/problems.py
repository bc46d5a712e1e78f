"""A problem found in the input: where it is (file, sheet, row, column) and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    table: str
    """Canonical table name (enterprises, annual, ...)."""
    row: int | None
    """Row as in the file (a CSV's header is row 1, so the first data row is 2), or None for a
    whole table or column."""
    column: str | None
    reason: str
    kind: str
    """A stable code for the kind of problem (bad_uscc, unknown_reference, negative, ...)."""
    file: str = ""
    """The file (and sheet) the table was read from."""

    def __str__(self) -> str:
        where = self.file or self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class DatasetError(Exception):
    """The input does not make a valid dataset; carries every problem found."""

    def __init__(self, problems: list[Problem], context: str = "dataset"):
        self.problems = problems
        n = len(problems)
        head = f"{context}: {n} problem{'s' if n != 1 else ''}"
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {n - 50} more" if n > 50 else ""
        super().__init__(f"{head}\n{shown}{more}")
