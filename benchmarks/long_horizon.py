"""The long-horizon setting of Gilpin (2023): every chaotic flow, fitted on 1000 points, forecasting 5000.

    .venv/bin/python -W ignore -m benchmarks.long_horizon --jobs 2 [--ship]
    ... --systems Lorenz,Thomas --families nvar,esn --budget 1.5 --out rows.csv

Protocol, as the paper's headline task (``core.forecasting.long_horizon``): every coordinate, 100
points per period; tuned on a ``train`` series of 1200 points from another stretch of the orbit,
validated on its last 200 (as the published benchmarks tuned); then fitted on the first 1000 points
of a ``test`` series and forecasting the next 5000 in one free run; the final fit's own free run
is checked for those 5000 steps and refitted more regularised if it blows up
(``core.forecasting.tuning.fit_that_holds``: no test value is looked at). Each forecast's
normalised error is read against the horizon in Lyapunov times (the lab's λ1 of the system at its
catalog parameters), VPT where it first exceeds 0.5. The systems are the leaderboard's chaotic
flows (``core.forecasting.sweep.chaotic_systems``; maps have no period to sample 100 points in).

The paper's per-system results of this task were never published, so the rerun stands alone:
it prints, per family, the median horizon, VPT, the share of forecasts still valid at the end,
blow-ups and the median error at 1, 10 and 30 Lyapunov times; ``--ship`` writes
``assets/long_horizon.parquet`` (the curves the Leaderboard draws).
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import pandas as pd

from benchmarks.multivariate import series
from benchmarks.rows import write_csv
from benchmarks.univariate import chosen_systems, common_arguments, run_all, run_system
from core.forecasting import long_horizon


def run_one(name: str, families: list[str], budget: float, seed: int) -> list[dict]:
    """One system's rows: each family and "auto", scored against the horizon."""
    from core import systems
    from core.dynamics import lyapunov

    fit_points, target = long_horizon.POINTS
    try:
        train, test, dt = series(name, test_points=fit_points + target)
        lam = lyapunov.largest(systems.get(name)).value
    except Exception as exc:  # a system the lab cannot integrate is a row, not a crash
        return [{"system": name, "family": f, "error": f"{type(exc).__name__}: {exc}"} for f in (*families, "auto")]
    rows = run_system(name, train, test, dt, 100, families, budget, seed, points=long_horizon.POINTS,
                      score=partial(long_horizon.score, dt=dt, lam=lam), hold=target)
    return [{k: v for k, v in row.items() if k != "granularity"} | {"lambda_max": lam} for row in rows]


def main(argv=None) -> None:
    from core.forecasting import sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.add_argument("--ship", action="store_true", help=f"write the rows to {long_horizon.SHIPPED.name}")
    args = parser.parse_args(argv)
    from core import systems as catalog

    flows = [n for n in sweep.chaotic_systems() if catalog.get(n).kind == "flow"]
    names = chosen_systems(args, flows)
    families = args.families.split(",")
    start = time.perf_counter()
    rows = run_all(names, partial(run_one, families=families, budget=args.budget, seed=args.seed), args.jobs)
    frame = pd.DataFrame(rows)
    table = long_horizon.summary(frame)
    print(f"\n{frame.system.nunique()} flows, fitted on {long_horizon.POINTS[0]} points, {long_horizon.POINTS[1]} "
          "forecast; VPT and horizons in Lyapunov times, the error normalised (saturates near √2):")
    print(table.round(3).to_string(index=False))
    print(f"wall time {time.perf_counter() - start:.0f} s on {args.jobs} processes")
    if args.out:
        write_csv(args.out, [{k: v for k, v in r.items() if k != "curve"} for r in rows])
    if args.ship:
        print(f"wrote {len(frame)} rows to {long_horizon.write(frame)}")


if __name__ == "__main__":
    main()
