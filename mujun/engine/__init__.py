"""The evaluation engine: pure functions over Polars frames. No Django, no files, no printing.

Entry points: `evaluate` (one year) and `evaluate_years`; the methodology model in
`mujun.engine.methodology`.
"""

from mujun.engine.errors import EngineError
from mujun.engine.evaluate import (
    LISTS,
    STATUSES,
    Evaluation,
    evaluate,
    evaluate_years,
    output_columns,
)
from mujun.engine.methodology import Methodology

__all__ = [
    "LISTS",
    "STATUSES",
    "EngineError",
    "Evaluation",
    "Methodology",
    "evaluate",
    "evaluate_years",
    "output_columns",
]
