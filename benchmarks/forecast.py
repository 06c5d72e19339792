"""Forecast quality and speed of every family, and reservoirpy's ESN as the anchor, in one process.

    .venv/bin/python -W ignore -m benchmarks.forecast [--systems Lorenz,Rossler,...]
    .venv/bin/python -W ignore -m benchmarks.forecast --no-classical   # the torch table only

Protocol (Gilpin 2023, in small), ``core.forecasting.experiment``'s: 10 000 training points; then 20 consecutive
test windows, each forecast autoregressively from the 200 points before it for 15 Lyapunov times
(at most 3000 steps). VPT (ε = 0.5, normalised by the training standard deviation) in Lyapunov
times of the lab's own λ1. Each classical family at its time-aware defaults, then tuned
(``core.forecasting.tuning``, 5 s on the training series only, validation windows of 15 Lyapunov times).
Fit time once; rollout time per window. The anchor is reservoirpy's ESN with the same size,
spectral radius, leak, input scaling, connectivity and ridge as our ESN's defaults, trained on
standardised data with the same warm-up.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core import systems
from core.dynamics import integrate, lyapunov, metrics
from core.forecasting import experiment, tuning
from core.forecasting.families import registry

CASES = {  # system -> (overrides, dt)
    "Lorenz": ({}, 0.01),
    "Rossler": ({}, None),
    "Thomas": ({}, None),
    "Henon": ({}, 1.0),
    "Lorenz96N": ({"N": 10}, 0.01),
}
N_TRAIN, N_WINDOWS, HORIZON, TUNE_BUDGET = 10_000, 20, 15.0, 5.0


def split_for(system, dt, free_run=1):
    return experiment.make_split(experiment.ForecastTask(system, dt=dt, n_train=N_TRAIN, horizon=HORIZON,
                                                     windows=N_WINDOWS, max_window_steps=3000, free_run=free_run,
                                                     transient=2000))


class Timed:
    """A model whose rollouts are timed, scored by ``core.forecasting.experiment`` like any other."""

    def __init__(self, model):
        self.model, self.seconds = model, []
        self.min_context = model.min_context

    def predict(self, context, horizon):
        start = time.perf_counter()
        try:
            return self.model.predict(context, horizon)
        finally:
            self.seconds.append(time.perf_counter() - start)


def score(model, split):
    """Mean and spread of the VPT over the test windows, and the mean rollout time."""
    timed = Timed(model)
    scores = experiment.score_forecast(timed, split)
    return scores.vpt, scores.vpt_std, float(np.mean(timed.seconds))


def reservoirpy_esn(train, dt, esn_defaults):
    from reservoirpy.nodes import Reservoir, Ridge

    mean, std = train.mean(axis=0), train.std(axis=0)
    z = (train - mean) / std
    model = Reservoir(units=esn_defaults["units"], lr=esn_defaults["leak"], sr=esn_defaults["spectral_radius"],
                      input_scaling=esn_defaults["input_scaling"], rc_connectivity=esn_defaults["connectivity"],
                      input_connectivity=1.0, bias=0.0, seed=0) >> Ridge(ridge=esn_defaults["ridge"])
    start = time.perf_counter()
    model.fit(z[:-1], z[1:], warmup=esn_defaults["warmup"])
    fit_time = time.perf_counter() - start

    class Anchor:
        min_context = esn_defaults["warmup"]

        def predict(self, context, horizon):
            model.reset()
            y = model.run((context - mean) / std)[-1]
            out = np.empty((horizon, len(y)))
            for k in range(horizon):
                y = model.step(y)
                out[k] = y
            return out * std + mean

    return Anchor(), fit_time


def run_case(name: str) -> None:
    overrides, dt = CASES[name]
    system = systems.get(name, **overrides)
    split = split_for(system, dt)
    print(f"\n{name} {overrides or ''} dt={split.dt:g}, {split.lyapunov}, {N_WINDOWS} windows of "
          f"{split.window_steps} steps")
    print(f"{'model':22s} {'VPT [Λt]':>14s} {'fit [s]':>9s} {'rollout [s]':>12s} {'tuned VPT [Λt]':>15s} {'tuning [s]':>11s}")
    for family in [f for f in registry.names() if not registry.family(f).is_iterative]:
        model = registry.create(family, split.timescales)
        start = time.perf_counter()
        try:
            model.fit(split.train, split.dt)
        except Exception as exc:
            print(f"{family:22s} fit failed: {exc}")
            continue
        fit_time = time.perf_counter() - start
        mean, spread, rollout = score(model, split)
        tuned = ""
        if registry.family(family).search_space(split.timescales):
            result = tuning.tune(family, split.train, split.dt, TUNE_BUDGET, timescales=split.timescales,
                                 horizon=HORIZON)
            t_mean, t_spread, _ = score(result.model, split)
            tuned = f"{t_mean:6.2f} ± {t_spread:5.2f} {result.seconds:11.1f}"
        print(f"{family:22s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.3f} {rollout:12.4f} {tuned}", flush=True)
    defaults = registry.defaults("esn", split.timescales)
    anchor, fit_time = reservoirpy_esn(split.train, split.dt, defaults)
    mean, spread, rollout = score(anchor, split)
    print(f"{'reservoirpy ESN':22s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.3f} {rollout:12.4f}   (anchor, our ESN's defaults)")


# Reference ranges for Lorenz-63 in the DSR papers (their protocols differ in detail: data length,
# noise, and D_stsp binning; these are ranges read off their tables, for orientation):
# Hess et al. (2023), ICML, Table 1 (GTF shPLRNN) and Brenner et al. (2024), NeurIPS (AL-RNN) report
# D_stsp of a few tenths at most and D_H of about 0.1 for their best Lorenz-63 reconstructions.
PAPER_D_STSP, PAPER_D_H = 0.5, 0.2  # upper ends of those ranges
LAMBDA_TRUE = lyapunov.LITERATURE["Lorenz"][1][0]  # Lorenz-63 (Sprott 2003)
FREE_RUN = 100_000


def run_torch(families: list[str]) -> None:
    """The neural families on Lorenz-63: VPT, training time, D_stsp, D_H and λ1 of a 10⁵-step free run."""
    import torch

    from core.forecasting import pretrain

    torch.set_num_threads(1)  # as in the lab: a job holds one torch thread (core.runtime.jobs.ClusterPlan)
    system = systems.get("Lorenz")
    dt = 0.01
    split = split_for(system, dt)
    truth = integrate.trajectory(system, n=FREE_RUN, dt=dt, transient=50_000).x
    print(f"\nLorenz dt={dt:g}, {split.lyapunov}: torch families, {N_WINDOWS} windows of {split.window_steps} steps, "
          f"free run of {FREE_RUN} steps from the first window's context")
    print(f"{'model':18s} {'VPT [Λt]':>14s} {'train [s]':>9s} {'D_stsp':>7s} {'D_H':>6s} {'λ1 free':>8s} {'Δλ1':>6s}  targets")
    for family in families:
        if family == "transformer_multi":  # the shipped model: zero-shot on Lorenz, never trained on it
            try:
                model, fit_time = pretrain.load(family, "Lorenz").model, float("nan")
            except pretrain.PretrainedError as exc:
                print(f"{family:18s} {exc}")
                continue
        else:
            model = registry.create(family, split.timescales)
            start = time.perf_counter()
            model.fit(split.train, dt)
            fit_time = time.perf_counter() - start
        mean, spread, _ = score(model, split)
        try:
            free = model.predict(split.window(0, model.min_context)[0], FREE_RUN)
            d_stsp = metrics.state_space_divergence(truth, free)
            d_h = metrics.power_spectrum_distance(truth, free, smoothing=2)
            lam_free = metrics.free_run_exponent(free[:20_000, 0], dt)
        except Exception as exc:  # a free run that blows up has no statistics
            print(f"{family:18s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.1f}  free run failed: {exc}")
            continue
        error = abs(lam_free - LAMBDA_TRUE) / LAMBDA_TRUE
        checks = [f"train ≤ 60 s: {'yes' if not fit_time > 60 else 'NO'}"]
        if family == "neural_ode":
            checks.append(f"VPT ≥ 4: {'yes' if mean >= 4 else 'NO'}")
        if family in ("shplrnn", "alrnn"):
            checks.append(f"D_stsp ≤ {PAPER_D_STSP}: {'yes' if d_stsp <= PAPER_D_STSP else 'NO'}")
            checks.append(f"D_H ≤ {PAPER_D_H}: {'yes' if d_h <= PAPER_D_H else 'NO'}")
            checks.append(f"λ1 within 15 %: {'yes' if error <= 0.15 else 'NO'}")
        print(f"{family:18s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.1f} {d_stsp:7.3f} {d_h:6.3f} {lam_free:8.3f} "
              f"{error:6.1%}  {'; '.join(checks)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default=",".join(CASES))
    parser.add_argument("--torch", default="neural_ode,lstm,gru,shplrnn,alrnn,transformer,transformer_multi",
                        help="torch families for the Lorenz table ('' to skip)")
    parser.add_argument("--no-classical", action="store_true", help="only the torch table")
    args = parser.parse_args()
    if args.torch:
        run_torch(args.torch.split(","))
    if not args.no_classical:
        for name in args.systems.split(","):
            run_case(name)


if __name__ == "__main__":
    main()
