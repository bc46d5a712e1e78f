"""An objection accepted during the 公示: the objecting firm scored again on its corrected data
against the published benchmarks, every other firm keeping its published result — a correction to
one firm's figures does not move the others' grades (issue 13, item 9). Recomputing the whole list
on the corrected data is the other choice (a plain `evaluate`)."""

from __future__ import annotations

import dataclasses

import polars as pl

from mujun.dataset import Dataset
from mujun.engine.errors import EngineError
from mujun.engine.evaluate import Evaluation, evaluate


def _replace_row(frame: pl.DataFrame, row: pl.DataFrame, uscc: str) -> pl.DataFrame:
    at = frame.get_column("uscc").to_list().index(uscc)
    row = row.select(frame.columns).cast(frame.schema)
    return pl.concat([frame.slice(0, at), row, frame.slice(at + 1)])


def rescore(published: Evaluation, corrected: Dataset, uscc: str) -> Evaluation:
    """`published` with `uscc`'s result taken from an evaluation of `corrected` against
    `published`'s benchmarks; every other firm, the parcels and the benchmarks as published."""
    if uscc not in published.enterprises.get_column("uscc").to_list():
        raise EngineError(f"{uscc} is not in the published {published.year} results")
    fixed = evaluate(
        corrected, published.year, published.methodology, benchmarks=published.benchmarks
    )
    row = fixed.enterprises.filter(pl.col("uscc") == uscc)
    detail = fixed.detail.filter(pl.col("uscc") == uscc)
    if row.height != 1:
        raise EngineError(f"{uscc} has no {published.year} result in the corrected data")
    return dataclasses.replace(
        published,
        dataset=corrected,
        enterprises=_replace_row(published.enterprises, row, uscc),
        detail=_replace_row(published.detail, detail, uscc),
    )
