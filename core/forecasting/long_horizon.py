"""The long-horizon setting of Gilpin (2023): fit on 1000 points, forecast 5000 in one free run, and
read the error against the horizon in Lyapunov times.

The paper's headline task ("Model scale versus domain knowledge in statistical forecasting of
chaotic systems", Phys. Rev. Research 5, 043252): every coordinate at 100 points per period, a
model fitted on the first 1000 points of a trajectory forecasts the next 5000 (50 periods, a median
of 45 Lyapunov times over the catalog), and its error is read against the forecast's length in
Lyapunov times. Its per-system results were never published (``../shared/gilpin2023/README.md``), so
the lab runs the setting on its own series (``benchmarks/long_horizon.py``) and ships the curves
(``SHIPPED``), which the Leaderboard draws.

The error is the VPT literature's (Pathak et al. 2018; ``core.dynamics.metrics.error_growth``): the
root mean square over coordinates of the forecast's error, each coordinate divided by its standard
deviation on the data the model was fitted on. Two independent points of the attractor sit about
√2 apart on that scale, so a forecast that has lost the trajectory but stays on the attractor
saturates near √2 (``SATURATION``); one that left the attractor keeps growing; one that blew up is
infinite from its blow-up on. VPT is read from the curve at full resolution: the first time the
error exceeds ``EPS``.

    row = score(head, truth, forecast, dt, lam)    # VPT, the horizon, the curve on GRID
    frame = read()                                 # the shipped rows (one per system and family)
    summary(frame), median_curves(frame)           # per family: the Leaderboard's table and plot
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.dynamics import metrics

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "long_horizon.parquet"
POINTS = (1000, 5000)  # fitted on, forecast: 10 and 50 periods at 100 points per period
EPS = 0.5  # the VPT's threshold on the normalised error, as the leaderboard's
GRID = np.round(np.arange(0.5, 100.0 + 1e-9, 0.5), 2)  # Lyapunov times at which a curve is kept
SATURATION = float(np.sqrt(2))  # the error between two independent points of an attractor, normalised
MIN_SYSTEMS = 10  # a median curve is drawn only where this many systems' forecasts reach
CHECKPOINTS = (1.0, 10.0, 30.0)  # the summary's error at these horizons


def score(head: np.ndarray, truth: np.ndarray, forecast: np.ndarray, dt: float, lam: float,
          eps: float = EPS) -> dict:
    """One forecast read against its horizon: ``horizon`` (the truth's length in Lyapunov times),
    ``vpt`` (when the error first exceeds ``eps``; a blow-up before that ends it), ``valid_to_end``,
    sMAPE over the whole forecast (a blown-up part counts 200, dysts's scale), and ``curve``: the
    error at each point of ``GRID`` the horizon reaches (infinite after a blow-up).
    ``forecast`` may be shorter than ``truth``: the finite part of a forecast that blew up."""
    if not (dt > 0 and lam > 0):
        raise ValueError(f"the step and λ1 must be positive to count Lyapunov times, got dt={dt}, λ1={lam}")
    truth, forecast = np.atleast_2d(np.asarray(truth, float).T).T, np.atleast_2d(np.asarray(forecast, float).T).T
    n, reached = len(truth), min(len(forecast), len(truth))
    scale = np.asarray(head, float).reshape(len(head), -1).std(axis=0)
    error = np.full(n, np.inf)
    if reached:
        error[:reached] = metrics.error_growth(truth[:reached], forecast[:reached], scale)
    step = dt * lam  # one step in Lyapunov times
    above = np.flatnonzero(~(error <= eps))  # a NaN (or a blow-up) ends the valid part too
    valid_steps = above[0] if len(above) else n
    grid = GRID[GRID <= n * step + 1e-9]
    at = np.clip(np.ceil(grid / step - 1e-9).astype(int) - 1, 0, n - 1)  # the step at or just after each time
    return {"horizon": n * step, "vpt": valid_steps * step, "valid_to_end": bool(valid_steps == n),
            "smape": metrics.smape_with_blow_up(truth, forecast), "curve": error[at].astype(np.float32)}


def read(path: Path = SHIPPED) -> pd.DataFrame:
    """The rows of a long-horizon run (``benchmarks/long_horizon.py --ship``); an empty frame if none."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=["system", "family", "chosen", "horizon", "vpt", "valid_to_end", "smape",
                                     "blew_up", "curve", "error"])
    return pd.read_parquet(path)


def write(frame: pd.DataFrame, path: Path = SHIPPED) -> Path:
    """``frame`` as the shipped table: curves as float32 lists, sorted by system and family."""
    from core import written_aside

    frame = frame.sort_values(["system", "family"]).reset_index(drop=True)
    frame["curve"] = [np.asarray(c, np.float32) if isinstance(c, (list, np.ndarray)) else np.zeros(0, np.float32)
                      for c in frame["curve"]]
    with written_aside(Path(path)) as scratch:
        frame.to_parquet(scratch, index=False, compression="zstd")
    return Path(path)


def _scored(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.vpt.notna()] if len(frame) else frame


def curve_matrix(rows: pd.DataFrame) -> np.ndarray:
    """Systems × ``GRID``: each row's curve, NaN beyond its horizon."""
    out = np.full((len(rows), len(GRID)), np.nan)
    for i, curve in enumerate(rows.curve):
        curve = np.asarray(curve, float)[: len(GRID)]
        out[i, : len(curve)] = curve
    return out


def median_curves(frame: pd.DataFrame, min_systems: int = MIN_SYSTEMS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per family, ``(t, median error)`` over the systems whose forecast reaches each time, cut where
    fewer than ``min_systems`` do (a blown-up forecast counts as an infinite error, so it raises
    the median rather than dropping out of it)."""
    out = {}
    for family, rows in _scored(frame).groupby("family", sort=False):
        matrix = curve_matrix(rows)
        count = np.isfinite(matrix).sum(axis=0) + np.isinf(matrix).sum(axis=0)
        keep = count >= min(min_systems, len(rows))
        if not keep.any():
            continue
        with np.errstate(invalid="ignore"):
            median = np.nanmedian(np.where(keep, matrix, 0.0), axis=0)
        last = np.flatnonzero(keep)[-1] + 1
        out[family] = (GRID[:last], median[:last])
    return out


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per family: systems, the median horizon reached (Lyapunov times), median and upper-quartile
    VPT, the share of forecasts valid to the end (a VPT the horizon cut), blow-ups, failures, the
    median sMAPE and the median error at each of ``CHECKPOINTS``; best median VPT first."""
    rows = []
    for family, group in frame.groupby("family"):
        scored = _scored(group)
        matrix = curve_matrix(scored)
        row = {"family": family, "systems": group.system.nunique(),
               "median_horizon": float(scored.horizon.median()) if len(scored) else np.nan,
               "median_vpt": float(scored.vpt.median()) if len(scored) else np.nan,
               "upper_quartile_vpt": float(scored.vpt.quantile(0.75)) if len(scored) else np.nan,
               "valid_to_end": float(scored.valid_to_end.astype(bool).mean()) if len(scored) else np.nan,
               "blow_ups": int(scored.blew_up.astype(bool).sum()), "errors": int(len(group) - len(scored)),
               "median_smape": float(scored.smape.median()) if len(scored) else np.nan}
        for t in CHECKPOINTS:
            column = matrix[:, int(np.searchsorted(GRID, t))] if len(scored) else np.zeros(0)
            reached = column[~np.isnan(column)]
            row[f"error_at_{t:g}"] = float(np.median(reached)) if len(reached) else np.nan
        rows.append(row)
    columns = ["family", "systems", "median_horizon", "median_vpt", "upper_quartile_vpt", "valid_to_end", "blow_ups",
               "errors", "median_smape"] + [f"error_at_{t:g}" for t in CHECKPOINTS]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows)[columns].sort_values("median_vpt", ascending=False, na_position="last") \
        .reset_index(drop=True)
