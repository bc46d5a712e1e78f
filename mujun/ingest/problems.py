"""A problem found while ingesting: which file, sheet, row and column, what kind, and why."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

KIND_LABELS = {
    "unreadable": "无法读取 unreadable file",
    "unrecognized": "无法识别 unrecognized sheet",
    "unit_missing": "缺少单位 unit missing",
    "unit_unknown": "未知单位 unit unknown",
    "duplicate_column": "重复列 duplicate column",
    "bad_value": "无效数据 bad value",
    "missing_value": "缺少数据 missing value",
    "duplicate_row": "重复记录 duplicate row",
    "conflict": "数据冲突 conflict",
    "missing_in_source": "来源缺失 missing in a source",
    "name_mismatch": "名称不一致 name mismatch",
    "unknown_reference": "无法关联 unknown reference",
    "invalid": "校验未通过 invalid",
    "skipped": "跳过行 skipped rows",
    "unused_column": "未使用列 unused column",
}


@dataclass(frozen=True)
class IngestProblem:
    file: str
    sheet: str
    row: int | None
    column: str
    kind: str
    reason: str
    severity: str = ERROR

    @classmethod
    def at(cls, sheet, row: int | None, column: str, kind: str, reason: str, severity: str = ERROR):
        return cls(sheet.file, sheet.name, row, column, kind, reason, severity)

    def __str__(self) -> str:
        where = self.file + (f" sheet {self.sheet}" if self.sheet else "")
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"
