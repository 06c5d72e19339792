"""Forecast quality across the catalog: every classical family, at its defaults and tuned, on every
chaotic dysts flow and map.

    .venv/bin/python -W ignore -m benchmarks.catalog_forecast               # all (≈ 45 min)
    .venv/bin/python -W ignore -m benchmarks.catalog_forecast --limit 20    # a random 20
    ... --systems Lorenz,Thomas --families nvar,esn --budget 4 --jobs 2 --out results.csv

Protocol (``core.forecasting.experiment``, Gilpin 2023 in small): each system at its catalog sampling (dt =
period / 100 for flows, 1 for maps) and published parameters, 10^4 training points, five test
windows of 10 Lyapunov times (at most ``MAX_WINDOW_STEPS`` steps: a weakly chaotic flow whose
Lyapunov time is thousands of samples is capped there, and so is its VPT) after the training
data, ε = 0.5, λ1 from the lab's own spectrum. "Chaotic" means λ1 · period ≥ 0.01 for a flow
(at least 1 % growth per dominant period; quasi-periodic and nearly neutral systems have no
Lyapunov time to measure in) and λ1 ≥ 0.01 per iterate for a map; delay systems are not
forecast yet. Tuning is ``core.forecasting.tuning.tune`` with ``--budget`` seconds on the training series
only. Systems run in parallel over ``--jobs`` processes, each single-threaded (the budget is
per family and system on one core). Prints, per family: the fraction of systems with VPT ≥ 1,
the median VPT, blow-ups (a test window whose forecast blew up) and the mean tuning time; then
the best family per system (tuned), and where the best still falls short.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from benchmarks.rows import single_threaded, write_csv

MAX_WINDOW_STEPS = 10_000


def chaotic_systems() -> list[str]:
    from core.forecasting import sweep

    return sweep.chaotic_systems()  # the one definition of "chaotic", shared with the sweep


def run_system(name: str, families: list[str], budget: float) -> list[dict]:
    """Every family on one system: default and tuned VPT, blow-ups, times (one process, one core)."""
    from core import systems
    from core.forecasting import experiment, tuning
    from core.forecasting.families import registry

    rows = []
    try:
        split = experiment.make_split(experiment.ForecastTask(systems.get(name), windows=5, free_run=1,
                                                          max_window_steps=MAX_WINDOW_STEPS))
    except Exception as exc:  # a system the lab cannot integrate or measure is a row, not a crash
        return [{"system": name, "family": f, "error": f"{type(exc).__name__}: {exc}"} for f in families]
    for family in families:
        row = {"system": name, "kind": split.task.system.kind, "family": family, "lam": split.lam,
               "window_steps": split.window_steps, "max_vpt": split.window_steps * split.dt * split.lam}
        try:
            model = registry.create(family, split.timescales).fit(split.train, split.dt)
            scores = experiment.score_forecast(model, split)
            row.update(vpt_default=scores.vpt, blowups_default=scores.blow_ups)
            if registry.family(family).search_space(split.timescales):
                result = tuning.tune(family, split.train, split.dt, budget, timescales=split.timescales)
                scores = experiment.score_forecast(result.model, split)
                row.update(tuning_s=result.seconds, trials=len(result.trials))
            row.update(vpt_tuned=scores.vpt, blowups_tuned=scores.blow_ups)
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def summary(rows: list[dict], families: list[str], systems_run: list[str]) -> None:
    def stats(values):
        values = np.asarray([v for v in values if v is not None and np.isfinite(v)])
        return (np.mean(values >= 1), np.median(values)) if len(values) else (float("nan"), float("nan"))

    print(f"\n{len(systems_run)} systems; VPT in Lyapunov times (ε = 0.5, windows of 10 Λt)")
    print(f"{'family':12s} {'default: ≥1':>12s} {'median':>7s} {'blow-ups':>9s}   {'tuned: ≥1':>10s} {'median':>7s} "
          f"{'blow-ups':>9s} {'tuning [s]':>11s} {'errors':>7s}")
    by_family = {f: [r for r in rows if r["family"] == f] for f in families}
    for family, rs in by_family.items():
        d_frac, d_med = stats([r.get("vpt_default") for r in rs])
        t_frac, t_med = stats([r.get("vpt_tuned") for r in rs])
        blow_d = sum(r.get("blowups_default", 0) > 0 for r in rs)
        blow_t = sum(r.get("blowups_tuned", 0) > 0 for r in rs)
        tune = [r["tuning_s"] for r in rs if "tuning_s" in r]
        errors = sum("error" in r for r in rs)
        print(f"{family:12s} {d_frac:12.0%} {d_med:7.2f} {blow_d:9d}   {t_frac:10.0%} {t_med:7.2f} {blow_t:9d} "
              f"{np.mean(tune) if tune else float('nan'):11.1f} {errors:7d}")
    best = {}
    for r in rows:
        if r.get("vpt_tuned") is not None and np.isfinite(r["vpt_tuned"]):
            if r["system"] not in best or r["vpt_tuned"] > best[r["system"]]["vpt_tuned"]:
                best[r["system"]] = r
    for kind in ("flow", "map"):
        chosen = [b for b in best.values() if b["kind"] == kind]
        if chosen:
            frac, med = stats([b["vpt_tuned"] for b in chosen])
            print(f"best of families, tuned, {kind}s ({len(chosen)}): VPT ≥ 1 on {frac:.0%}, median {med:.2f}")
    wins = {}
    for b in best.values():
        wins[b["family"]] = wins.get(b["family"], 0) + 1
    print("best family per system:", ", ".join(f"{f} {n}" for f, n in sorted(wins.items(), key=lambda x: -x[1])))
    short = sorted((b for b in best.values() if b["vpt_tuned"] < 1), key=lambda b: b["vpt_tuned"])
    if short:
        print("still short of 1 Λt (best family, tuned VPT, the window's cap):")
        for b in short:
            print(f"  {b['system']:26s} {b['family']:10s} {b['vpt_tuned']:5.2f}  (cap {b['max_vpt']:.1f})")


def main() -> None:
    from core.forecasting.families import registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="", help="comma-separated names (default: every chaotic flow and map)")
    parser.add_argument("--families", default=",".join(f for f in registry.names() if not registry.family(f).is_iterative))
    parser.add_argument("--budget", type=float, default=4.0, help="tuning seconds per family and system")
    parser.add_argument("--limit", type=int, default=0, help="a random sample of this many systems (seed 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="", help="write one row per system and family to this CSV")
    args = parser.parse_args()
    names = args.systems.split(",") if args.systems else chaotic_systems()
    if args.limit and args.limit < len(names):
        names = sorted(np.random.default_rng(0).choice(names, args.limit, replace=False).tolist())
    families = args.families.split(",")
    start, rows = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=single_threaded) as pool:
        futures = {pool.submit(run_system, n, families, args.budget): n for n in names}
        for k, future in enumerate(as_completed(futures), 1):
            got = future.result()
            rows += got
            best = max((r.get("vpt_tuned", -1) or -1 for r in got), default=-1)
            print(f"[{k}/{len(names)}] {futures[future]:26s} best tuned VPT {best:5.2f}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    summary(rows, families, names)
    print(f"wall time {time.perf_counter() - start:.0f} s on {args.jobs} processes")
    if args.out:
        write_csv(args.out, rows)


if __name__ == "__main__":
    main()
