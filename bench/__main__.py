"""`python -m bench` (`make bench`): the engine (bench/engine.py), the Monte Carlo sensitivity
analysis, then the web app on PostgreSQL (bench/web.py; skipped, saying so, when PostgreSQL is not
reachable). See bench/README.md.

    python -m bench [engine options]   everything
    python -m bench engine [options]   the engine only (python -m bench engine --help)
    python -m bench montecarlo [--enterprises N] [--draws D]
    python -m bench web [options]      the web app only (python -m bench web --help)
"""

from __future__ import annotations

import argparse
import sys
import time

MC_DRAWS = 1000
MC_GOAL_SECONDS = 60.0
SOBOL_BASE_SAMPLES = 256
MC_YEAR = 2022


def montecarlo(argv: list[str]) -> int:
    """Time mujun.engine.sensitivity.monte_carlo (1,000 weight draws over the whole district) and
    sobol (256 base samples over the weights and the benchmark method), each against the goal."""
    from bench.engine import DEFAULT_ENTERPRISES, SEED, YEARS

    p = argparse.ArgumentParser(prog="python -m bench montecarlo")
    p.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--draws", type=int, default=MC_DRAWS)
    p.add_argument("--check-goals", action="store_true")
    a, _ = p.parse_known_args(argv)

    from mujun.dataset import Dataset
    from mujun.engine import evaluate
    from mujun.engine.sensitivity import monte_carlo, sobol
    from mujun.methodologies import load_methodology
    from mujun.synth import synthesize

    print(
        f"Monte Carlo: {a.draws:,} draws of the weights (Dirichlet, concentration 200) over "
        f"{a.enterprises:,} enterprises, {MC_YEAR}, zhenhai …",
        flush=True,
    )
    ds = Dataset.from_frames(**synthesize(a.enterprises, YEARS, seed=a.seed))
    ev = evaluate(ds, MC_YEAR, load_methodology("zhenhai"))
    t0 = time.perf_counter()
    result = monte_carlo(ev, draws=a.draws)
    seconds = time.perf_counter() - t0
    passed = seconds < MC_GOAL_SECONDS
    print(
        f"  {seconds:.1f} s for {result.probabilities.height:,} evaluated enterprises "
        f"(goal < {MC_GOAL_SECONDS:g} s) {'✓ pass' if passed else '✗ FAIL'}",
        flush=True,
    )
    t0 = time.perf_counter()
    indices = sobol(ev, base_samples=SOBOL_BASE_SAMPLES, seed=a.seed)
    seconds = time.perf_counter() - t0
    sobol_passed = seconds < MC_GOAL_SECONDS
    runs = indices.targets.unique("group")["runs"].sum()
    print(
        f"Sobol' indices: {SOBOL_BASE_SAMPLES} base samples, {runs:,} runs: {seconds:.1f} s "
        f"(goal < {MC_GOAL_SECONDS:g} s) {'✓ pass' if sobol_passed else '✗ FAIL'}",
        flush=True,
    )
    return 2 if a.check_goals and not (passed and sobol_passed) else 0


def main(argv: list[str]) -> int:
    from bench.engine import main as engine

    if argv[:1] == ["engine"]:
        return engine(argv[1:])
    if argv[:1] == ["montecarlo"]:
        return montecarlo(argv[1:])
    if argv[:1] == ["web"]:
        from bench.web import main as web

        return web(argv[1:])
    status = engine(argv)
    mc = montecarlo(argv)
    # the web bench on the same district (a PostgreSQL database, reused when already loaded)
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--enterprises", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--check-goals", action="store_true")
    a, _ = p.parse_known_args(argv)
    forwarded = [
        f"--{k.replace('_', '-')}={v}" for k, v in vars(a).items() if v not in (None, False)
    ]
    forwarded = [f.replace("=True", "") for f in forwarded]
    from bench.web import main as web

    web_status = web(forwarded)
    return status or mc or web_status


sys.exit(main(sys.argv[1:]))
