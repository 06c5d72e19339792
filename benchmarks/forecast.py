"""Forecast quality and speed of every family, and reservoirpy's ESN as the anchor, in one process.

    PYTHONPATH=. .venv/bin/python -W ignore benchmarks/forecast.py [--systems Lorenz,Rossler,...]

Protocol (Gilpin 2023, in small): 10 000 training points; then 20 consecutive test windows,
each forecast autoregressively from the 200 points before it for about 15 Lyapunov times. VPT
(ε = 0.5, normalised by the training standard deviation) in Lyapunov times, λ1 from
``core.lyapunov.spectrum``. Fit time once; rollout time per window. The anchor is reservoirpy's
ESN with the same size, spectral radius, leak, input scaling, connectivity and ridge as ours,
trained on standardised data with the same warm-up.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from core import integrate, lyapunov, metrics, systems
from core.forecasters import registry

CASES = {  # system -> (overrides, dt)
    "Lorenz": ({}, 0.01),
    "Rossler": ({}, None),
    "Thomas": ({}, None),
    "Henon": ({}, 1.0),
    "Lorenz96N": ({"N": 10}, 0.01),
}
N_TRAIN, N_WINDOWS, CONTEXT = 10_000, 20, 200


def windows(system, dt, lam):
    horizon = int(min(3000, math.ceil(15 / (lam * dt))))
    total = N_TRAIN + CONTEXT + N_WINDOWS * horizon
    data = integrate.trajectory(system, n=total, dt=dt, transient=2000).x
    train = data[:N_TRAIN]
    tests = []
    for w in range(N_WINDOWS):
        start = N_TRAIN + CONTEXT + w * horizon
        tests.append((data[start - CONTEXT : start], data[start : start + horizon]))
    return train, tests, horizon


def score(predict, train, tests, dt, lam):
    vpts, seconds = [], []
    for context, truth in tests:
        start = time.perf_counter()
        try:
            forecast = predict(context, len(truth))
        except Exception:  # a rollout that blew up scores zero
            forecast = None
        seconds.append(time.perf_counter() - start)
        vpts.append(0.0 if forecast is None else metrics.vpt(truth, forecast, dt, lam, scale=train.std(axis=0)))
    return np.mean(vpts), np.std(vpts), np.mean(seconds)


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

    def predict(context, horizon):
        model.reset()
        y = model.run((context - mean) / std)[-1]
        out = np.empty((horizon, len(y)))
        for k in range(horizon):
            y = model.step(y)
            out[k] = y
        return out * std + mean

    return predict, fit_time


def run_case(name: str) -> None:
    overrides, dt = CASES[name]
    system = systems.get(name, **overrides)
    dt = dt or system.dt
    lam = lyapunov.spectrum(system, n_exponents=1).max
    train, tests, horizon = windows(system, dt, lam)
    print(f"\n{name} {overrides or ''} dt={dt:g}, λ1={lam:.3f}, {N_WINDOWS} windows of {horizon} steps")
    print(f"{'model':22s} {'VPT [Λt]':>14s} {'fit [s]':>9s} {'rollout [s]':>12s}")
    for family in registry.names():
        extra = {"discrete_time": True} if family == "sindy" and system.kind == "map" else {}
        model = registry.create(family, **extra)
        start = time.perf_counter()
        try:
            model.fit(train, dt)
        except Exception as exc:
            print(f"{family:22s} fit failed: {exc}")
            continue
        fit_time = time.perf_counter() - start
        mean, spread, rollout = score(model.predict, train, tests, dt, lam)
        print(f"{family:22s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.3f} {rollout:12.4f}")
    defaults = {k: v.default for k, v in registry.schema("esn").items()}
    predict, fit_time = reservoirpy_esn(train, dt, defaults)
    mean, spread, rollout = score(predict, train, tests, dt, lam)
    print(f"{'reservoirpy ESN':22s} {mean:6.2f} ± {spread:5.2f} {fit_time:9.3f} {rollout:12.4f}   (anchor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default=",".join(CASES))
    for name in parser.parse_args().systems.split(","):
        run_case(name)


if __name__ == "__main__":
    main()
