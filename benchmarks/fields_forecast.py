"""Forecasting Kuramoto–Sivashinsky at L = 22: parallel local reservoirs (Pathak et al. 2018)
beside one global reservoir of the same size per reservoir (the lab's ESN) and persistence.

    .venv/bin/python -W ignore -m benchmarks.fields_forecast [--windows 20]

64 grid points, Δt = 0.25, 20 000 training steps (5000 time units) after a transient, then
``--windows`` test windows further along the same orbit: each gives 200 steps of context to warm
the reservoirs up and is forecast 1000 steps ahead in one free run. VPT: the first time the
error normalised per site by the training data's standard deviation exceeds ε = 0.5 (Pathak et
al.; Vlachas et al. 2020), in Lyapunov times of the lab's λ1 at L = 22 (0.0491; Cvitanović et
al. give 0.048). Target (issue 24): a median of at least 4 Lyapunov times.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core.dynamics import fields as F
from core.dynamics import metrics
from core.errors import BlowUp
from core.forecasting.families import registry
from core.forecasting.parallel_reservoir import ParallelReservoir
from core.systems import fields

TRAIN, CONTEXT, HORIZON, GAP = 20_000, 200, 1000, 1500
LYAPUNOV = 0.0491  # the lab's λ1 of KS at L = 22 (benchmarks.fields: 4·10⁴ time units)


def windows(count: int):
    ks = fields.get("KuramotoSivashinsky")
    u = F.simulate(ks, TRAIN + count * GAP, transient=500.0, seed=1).u
    train, test = u[:TRAIN], u[TRAIN:]
    cases = [(test[i * GAP: i * GAP + CONTEXT], test[i * GAP + CONTEXT: i * GAP + CONTEXT + HORIZON])
             for i in range(count)]
    return ks, train, cases


def forecast(model_predict, context, n) -> np.ndarray:
    """The free run; one that blew up counts as infinitely wrong from there on."""
    try:
        return model_predict(context, n)
    except BlowUp as exc:
        return np.vstack([exc.partial, np.full((n - len(exc.partial), context.shape[1]), np.inf)])


def score(model_predict, train, cases, dt) -> list[float]:
    scale = train.std(axis=0)
    return [metrics.vpt(truth, forecast(model_predict, context, len(truth)), dt, LYAPUNOV, scale=scale)
            for context, truth in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=20)
    args = parser.parse_args()
    ks, train, cases = windows(args.windows)
    rows = []

    model = ParallelReservoir()
    start = time.perf_counter()
    model.fit(train, ks.dt)
    fitted = time.perf_counter() - start
    rows.append((f"parallel reservoirs ({model.groups} × {model.units} units, overlap {model.overlap})", fitted,
                 score(model.predict, train, cases, ks.dt)))

    esn = registry.create("esn", units=model.units, leak=1.0, input_scaling=0.2, spectral_radius=0.6, ridge=1e-6,
                          warmup=100)
    start = time.perf_counter()
    esn.fit(train, ks.dt)
    rows.append((f"one reservoir, all 64 sites (the lab's ESN, {model.units} units)", time.perf_counter() - start,
                 score(esn.predict, train, cases, ks.dt)))
    rows.append(("persistence (the context's last state)", 0.0,
                 score(lambda context, n: np.repeat(context[-1:], n, axis=0), train, cases, ks.dt)))

    print(f"Kuramoto–Sivashinsky L = 22, 64 points, Δt = 0.25: trained on {TRAIN} steps, {len(cases)} windows "
          f"of {HORIZON} steps; VPT in Lyapunov times (λ1 = {LYAPUNOV})")
    print(f"{'model':<62}{'fit s':>7}{'median':>8}{'q1':>7}{'q3':>7}{'min':>7}")
    for name, seconds, vpts in rows:
        q1, median, q3 = np.percentile(vpts, [25, 50, 75])
        print(f"{name:<62}{seconds:>7.1f}{median:>8.2f}{q1:>7.2f}{q3:>7.2f}{min(vpts):>7.2f}")
    print("target: a median VPT of at least 4 Lyapunov times")


if __name__ == "__main__":
    main()
