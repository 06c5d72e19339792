"""The dysts univariate benchmark (Gilpin 2021, NeurIPS), rerun on its exact series beside its 16 models.

    .venv/bin/python -W ignore -m benchmarks.univariate                         # all 131, 100 pts/period
    .venv/bin/python -W ignore -m benchmarks.univariate --granularity 15        # the coarse set
    ... --systems Lorenz,Thomas --families nvar,esn --budget 1.5 --jobs 2 --out results.csv
    ... --ship                        # the lab's rows into assets/univariate_benchmark.csv (the Leaderboard's)

The data are the benchmark's own (``$CHAOSLAB_GILPIN2023``, default ``../shared/gilpin2023`` beside
the repository; its README says what each file is): per system a ``train`` and a ``test`` series of
the first coordinate, 12 periods at 100 (or 15) points per period, from two initial conditions.
Protocol, as published: hyper-parameters are tuned on the ``train`` series, validated on its last
200 points (30 at 15 points per period); each model is then fitted on the first 1000 (150) points
of ``test`` and forecasts the rest (199, or 29, points as the published target) in one free run;
the score is sMAPE on the 0–200 scale. So the test series is touched once, by the final fit and
forecast. Differences from the paper: the lab tunes by its own criterion (valid prediction time
on the validation window, penalised for an unstable free run; ``core.forecasting.tuning``) with
Optuna within ``--budget`` seconds per family, where the paper grid-searched by MSE; the Lyapunov
time the tuning measures in is estimated from the training series alone; the final fit on the
head of ``test`` is checked by its own free run, five scored horizons long from where its forecast
starts (no test value is looked at), and refitted more regularised if that run blows up
(``core.forecasting.tuning.fit_that_holds``). A forecast that blows up scores 200 (the scale's
maximum) on every point after the blow-up.

"auto" is ``core.forecasting.auto.choose``: the families tuned within ``--budget`` each, the one
with the best validation score taken, never looking at the test series. Prints the median sMAPE
per lab family and per published model, the fraction of systems where each lab family beats
NBEATS (the best published model overall) and beats the best published model of that system,
and the blow-ups.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial

import numpy as np
import pandas as pd

from benchmarks.rows import single_threaded, write_csv
from core.dynamics import metrics
from core.forecasting.published import LAB_RESULTS, TARGET_POINTS, TRAIN_POINTS, load_series, published

FAMILIES = ("nvar", "esn", "parroting", "analog")
HOLD_HORIZONS = 5  # the final fit's own free run must hold for this many scored horizons
smape_with_blow_up = metrics.smape_with_blow_up  # the benchmarks' score (core.dynamics.metrics), by its old name


def smape_score(head: np.ndarray, truth: np.ndarray, forecast: np.ndarray) -> dict:
    """The published benchmarks' score of one forecast (``run_system``'s default ``score``)."""
    return {"smape": metrics.smape_with_blow_up(truth, forecast)}


def run_system(name: str, train: np.ndarray, test: np.ndarray, dt: float, granularity: int, families: list[str],
               budget: float, seed: int, points: tuple[int, int] | None = None, score=smape_score,
               hold: int | None = None) -> list[dict]:
    """Every family tuned on ``train``, fitted on the head of ``test``, scored on its tail; and "auto".
    ``train`` and ``test`` are (n,) or (n, dim); ``points`` (fitted on, forecast) default to the
    univariate benchmark's at ``granularity``; ``score(head, truth, forecast)`` gives a row's scores
    (a blown-up forecast is its finite part); the final fit's own free run must hold ``hold`` steps
    (default ``HOLD_HORIZONS`` forecasts)."""
    from core.errors import BlowUp
    from core.forecasting import auto, tuning

    fit_points, target = points or (TRAIN_POINTS[granularity], TARGET_POINTS[granularity])
    train, test = (a[:, None] if a.ndim == 1 else a for a in (np.asarray(train), np.asarray(test)))
    head, truth = test[:fit_points], test[fit_points:fit_points + target]
    options = tuning.holdout(len(train), len(train) - fit_points)  # the published validation: the last 200
    hold = hold or HOLD_HORIZONS * target
    rows, started = [], time.perf_counter()
    try:
        choice = auto.choose(train, dt, budget * len(families), families=families, seed=seed, **options)
    except Exception as exc:  # a system the lab cannot tune is a row, not a crash
        return [{"system": name, "granularity": granularity, "family": f, "error": f"{type(exc).__name__}: {exc}"}
                for f in (*families, "auto")]
    for family in (*families, "auto"):
        chosen = choice.family if family == "auto" else family
        result = choice.tuned.get(chosen)
        row = {"system": name, "granularity": granularity, "family": family,
               "chosen": chosen if family == "auto" else ""}
        if not isinstance(result, tuning.TuningResult):
            rows.append(row | {"error": str(result)})
            continue
        row |= {"validation": result.score, "tuning_s": result.seconds, "trials": len(result.trials)}
        try:
            if family == "auto":  # the choice's own fit, which falls back on a family whose free run holds
                chosen, model, note = choice.fit(head, dt, free_steps=hold)
                row |= {"chosen": chosen, "note": note}
            else:  # the tuned configuration, refitted more regularised if its own free run blows up
                model, held = tuning.fit_that_holds(chosen, result.params, head, dt, hold)
                row["note"] = held
            try:
                forecast, blew_up = model.predict(head, target), False
            except BlowUp as exc:
                forecast, blew_up = exc.partial, True
            row |= score(head, truth, forecast) | {"blew_up": blew_up}
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    rows[-1]["seconds"] = time.perf_counter() - started
    return rows


def summary(rows: list[dict], table: dict[str, dict[str, float]], families: list[str]) -> dict:
    """Print the comparison; return the figures (median sMAPE and win fractions per lab family)."""
    systems_run = sorted({r["system"] for r in rows})
    scored = {(r["system"], r["family"]): r for r in rows}
    models = sorted({m for s in systems_run for m in table.get(s, {})})
    medians = {m: float(np.median([table[s][m] for s in systems_run if m in table.get(s, {})])) for m in models}
    print(f"\n{len(systems_run)} systems; sMAPE (0–200) of the free run over the published target; published models "
          "on the same systems")
    print(f"{'lab family':12s} {'median':>7s} {'beats NBEATS':>13s} {'beats best published':>21s} {'blow-ups':>9s} "
          f"{'errors':>7s} {'tuning [s]':>11s}")
    figures = {}
    for family in (*families, "auto"):
        values, nbeats, best, blow, errors, tuning_s = [], [], [], 0, 0, []
        for system in systems_run:
            r = scored.get((system, family), {})
            if "smape" not in r:
                errors += 1
                continue
            values.append(r["smape"])
            blow += bool(r.get("blew_up"))
            tuning_s.append(r.get("tuning_s", np.nan))
            theirs = table.get(system, {})
            if "NBEATSModel" in theirs:
                nbeats.append(r["smape"] < theirs["NBEATSModel"])
            if theirs:
                best.append(r["smape"] < min(theirs.values()))
        figures[family] = {"median": float(np.median(values)) if values else float("nan"),
                           "beats_nbeats": float(np.mean(nbeats)) if nbeats else float("nan"),
                           "beats_best": float(np.mean(best)) if best else float("nan"), "blow_ups": blow,
                           "errors": errors}
        f = figures[family]
        print(f"{family:12s} {f['median']:7.1f} {f['beats_nbeats']:13.0%} {f['beats_best']:21.0%} {blow:9d} "
              f"{errors:7d} {np.nanmean(tuning_s) if tuning_s else float('nan'):11.1f}")
    chosen = [scored[(s, "auto")]["chosen"] for s in systems_run if "smape" in scored.get((s, "auto"), {})]
    print("auto chose: " + ", ".join(f"{f} {chosen.count(f)}" for f in families if chosen.count(f)))
    print("published medians on these systems: " + ", ".join(f"{m} {v:.1f}" for m, v in sorted(medians.items(),
                                                                                            key=lambda kv: kv[1])))
    if "auto" in figures:
        for model in models:
            wins = [scored[(s, "auto")]["smape"] < table[s][model] for s in systems_run
                    if model in table.get(s, {}) and "smape" in scored.get((s, "auto"), {})]
            figures["auto"][f"beats_{model}"] = float(np.mean(wins)) if wins else float("nan")
        print("auto beats, per published model: " + ", ".join(
            f"{m} {figures['auto'][f'beats_{m}']:.0%}" for m in models))
    return figures


def common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both reruns take (this one and ``benchmarks.multivariate``)."""
    parser.add_argument("--systems", default="", help="comma-separated names (default: every published one)")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--budget", type=float, default=1.5, help="tuning seconds per family and system")
    parser.add_argument("--limit", type=int, default=0, help="a random sample of this many systems (seed 0)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="", help="write one row per system and family to this CSV")


def chosen_systems(args, available: list[str]) -> list[str]:
    names = args.systems.split(",") if args.systems else available
    if args.limit and args.limit < len(names):
        names = sorted(np.random.default_rng(0).choice(names, args.limit, replace=False).tolist())
    return names


def run_all(names: list[str], task, jobs: int, data: dict | None = None) -> list[dict]:
    """``task(name, *data[name])`` (a picklable callable returning a system's rows, "auto" last)
    for every name on ``jobs`` processes, with a line per system as it ends."""
    start, rows = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=jobs, initializer=single_threaded) as pool:
        futures = {pool.submit(task, n, *(data[n] if data else ())): n for n in names}
        for k, future in enumerate(as_completed(futures), 1):
            got = future.result()
            rows += got
            auto_row = got[-1]
            print(f"[{k}/{len(names)}] {futures[future]:26s} auto → {auto_row.get('chosen', '?'):9s} "
                  f"sMAPE {auto_row.get('smape', float('nan')):6.1f}  ({time.perf_counter() - start:.0f} s)", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--granularity", type=int, choices=(100, 15), default=100, help="points per period")
    common_arguments(parser)
    parser.add_argument("--ship", action="store_true",
                        help=f"replace this granularity's rows of {LAB_RESULTS.relative_to(LAB_RESULTS.parents[1])}")
    args = parser.parse_args()
    series, table = load_series(args.granularity), published(args.granularity)
    names = chosen_systems(args, sorted(n for n in series if n in table))
    families = args.families.split(",")
    start = time.perf_counter()
    rows = run_all(names, partial(_system_task, granularity=args.granularity, families=families,
                                  budget=args.budget, seed=args.seed), args.jobs, series)
    summary(rows, table, families)
    print(f"wall time {time.perf_counter() - start:.0f} s on {args.jobs} processes")
    if args.out:
        write_csv(args.out, rows)
    if args.ship:
        ship(rows, args.granularity)


def _system_task(name: str, train, test, dt, *, granularity, families, budget, seed) -> list[dict]:
    return run_system(name, train, test, dt, granularity, families, budget, seed)


def ship(rows: list[dict], granularity: int, path=LAB_RESULTS) -> None:
    """The lab's rows of one granularity into the shipped table, the other granularity's kept."""
    new = pd.DataFrame(rows)
    if path.exists():
        old = pd.read_csv(path, keep_default_na=False, na_values=[""])
        new = pd.concat([old[old.granularity != granularity], new], ignore_index=True)
    columns = ["system", "granularity", "family", "smape", "blew_up", "chosen", "validation", "tuning_s", "trials",
               "note", "error"]
    new = new.reindex(columns=columns).sort_values(["granularity", "system", "family"], ascending=[False, True, True])
    new.to_csv(path, index=False, float_format="%.6g")
    print(f"wrote {len(new)} rows to {path}")


if __name__ == "__main__":
    main()
