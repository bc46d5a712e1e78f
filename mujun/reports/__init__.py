"""Outputs people read: the published list workbook (and, later, PDF reports)."""

from mujun.reports.published import write_published

__all__ = ["write_published"]
