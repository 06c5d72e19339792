"""The dysts benchmarks' published results beside the lab's: the univariate benchmark (Gilpin 2021,
NeurIPS) and the short-horizon multivariate one (Gilpin 2023).

The benchmark: 131 dysts flows, the first coordinate only, 12 periods at 100 (or 15) points per
period; every model is fitted on the first 1000 (150) points and forecasts the next 199 (29) in
one free run, scored by sMAPE on the 0–200 scale. Its 16 published models run from ARIMA to
NBEATS. The published numbers are not part of the lab: they are read where the lab finds them,
``$CHAOSLAB_GILPIN2023`` or ``../shared/gilpin2023`` beside the repository (its README says what
each file is; ``derived/univariate_per_system.csv`` holds one row per system, model and
granularity). The lab's own results (``LAB_RESULTS``, shipped in ``assets/``) are written by
``python -m benchmarks.univariate --ship``, which reruns the protocol on the benchmark's own series.

    table = published(100)                 # {system: {model: sMAPE}}; PublishedDataMissing if absent
    view = compare(lab_results(), table, 100)   # the per-system table, the summary, the long rows

The multivariate benchmark (Gilpin 2023, "Model scale versus domain knowledge in statistical
forecasting of chaotic systems") fitted every model on 1000 points of all coordinates, 100 points
per period, and forecast the next 200 in one free run, sMAPE over every coordinate and time. Its
series did not survive, only their 200-point targets, so the lab reruns the protocol on series of
its own (``benchmarks/multivariate.py``, ``MULTIVARIATE_RESULTS``): the same systems, split and
score on other trajectories of the same attractors, so the comparison is of distributions and
ranks, not of one forecast against another.

    table = published_multivariate()       # ESN, NVAR and the neural ODE of the paper, 12 darts models
    view = compare(lab_results(MULTIVARIATE_RESULTS), table, 100)
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import ChaosLabError

ROOT = Path(__file__).resolve().parents[2]
LAB_RESULTS = ROOT / "assets" / "univariate_benchmark.csv"
MULTIVARIATE_RESULTS = ROOT / "assets" / "multivariate_benchmark.csv"
MULTIVARIATE_POINTS = (1000, 200)  # fitted on, forecast: 10 and 2 periods at 100 points per period
# ESN, NVAR and the neural ODE were published twice (a results file each and the data sweep's entry
# for the full training set: separate runs); the paper's figure used the results files
PAPER_RUNS = {"ESN": "results_esn_multivariate.json.gz", "NVAR": "results_nvar_multivariate.json.gz",
              "NODE": "results_neural_ode_multivariate.json.gz"}
GRANULARITIES = (100, 15)  # points per period of the two published sets
TRAIN_POINTS = {100: 1000, 15: 150}  # the published split: 10 of the 12 periods
TARGET_POINTS = {100: 199, 15: 29}  # the published target (the last point of the 2 periods is dropped)
LAB_FAMILIES = ("auto", "nvar", "esn", "parroting", "analog")  # the lab's columns, its answer first
BEST_PUBLISHED = "NBEATSModel"  # the best published model overall (lowest median sMAPE at 100 points)


class PublishedDataMissing(ChaosLabError, FileNotFoundError):
    """The published benchmark's files are not where the lab looks for them."""


def data_dir() -> Path:
    """Where the published benchmark is read: ``$CHAOSLAB_GILPIN2023``, else ``../shared/gilpin2023``."""
    return Path(os.environ.get("CHAOSLAB_GILPIN2023", ROOT.parent / "shared" / "gilpin2023"))


def _path(*parts: str) -> Path:
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise PublishedDataMissing(f"the published dysts benchmark is not at {path}: set CHAOSLAB_GILPIN2023 to the "
                                   "folder that holds its raw/ and derived/ files")
    return path


def published(granularity: int) -> dict[str, dict[str, float]]:
    """``{system: {model: sMAPE}}`` of the 16 published models at ``granularity`` points per period."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"the benchmark has {' and '.join(map(str, GRANULARITIES))} points per period, "
                         f"not {granularity}")
    table: dict[str, dict[str, float]] = {}
    with open(_path("derived", "univariate_per_system.csv")) as handle:
        for row in csv.DictReader(handle):
            if int(row["pts_per_period"]) == granularity and row["smape"] not in ("", "nan"):
                table.setdefault(row["system"], {})[row["model"]] = float(row["smape"])
    return table


def published_multivariate() -> dict[str, dict[str, float]]:
    """``{system: {model: sMAPE}}`` of the short-horizon multivariate benchmark's 15 models (the
    paper's reservoirpy ESN and NVAR, its neural ODE, 12 darts models), full 1000-point training."""
    table: dict[str, dict[str, float]] = {}
    with open(_path("derived", "multivariate_short_horizon_per_system.csv")) as handle:
        for row in csv.DictReader(handle):
            model = row["model"]
            if model in PAPER_RUNS and row["source"] != PAPER_RUNS[model]:
                continue
            if int(row["train_points"]) == MULTIVARIATE_POINTS[0] and row["smape"] not in ("", "nan"):
                table.setdefault(row["system"], {})[f"{model} (paper)" if model in PAPER_RUNS else model] = \
                    float(row["smape"])
    return table


def load_series(granularity: int) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """``{system: (train, test, dt)}``: the benchmark's own series of the first coordinate, from
    two initial conditions (the ``train`` series is for tuning, ``test`` is scored)."""
    folder = ("raw", "dysts", "data")
    series: dict[str, dict] = {}
    for part in ("train", "test"):
        with gzip.open(_path(*folder, f"{part}_univariate__pts_per_period_{granularity}__periods_12.json.gz")) as fh:
            for name, entry in json.load(fh).items():
                series.setdefault(name, {})[part] = np.asarray(entry["values"], dtype=float)
                series[name]["dt"] = float(entry["dt"])
    return {name: (s["train"], s["test"], s["dt"]) for name, s in series.items() if "train" in s and "test" in s}


def lab_results(path: Path = LAB_RESULTS) -> pd.DataFrame:
    """The lab's rows (system, granularity, family, smape, blew_up, chosen, …); empty if not built."""
    if not Path(path).exists():
        return pd.DataFrame(columns=["system", "granularity", "family", "smape", "blew_up", "chosen"])
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


@dataclass(frozen=True)
class Comparison:
    """One granularity, on the systems both the lab and the paper scored.

    ``systems``: one row per system, the lab's sMAPE per family, the family "auto" chose, each
    published model's sMAPE, the system's best published model and its score, and the winner of
    all. ``models``: one row per model (lab families first, then published), its median sMAPE, on
    what share of systems "auto" beats it and its median rank among every model shown (1: a
    system's best). ``rows``: (model, source, system, smape), long, for
    the distribution per model. ``auto``: auto's headline shares (beats NBEATS, beats each
    system's best published model), NaN without published numbers."""

    systems: pd.DataFrame
    models: pd.DataFrame
    rows: pd.DataFrame
    auto: dict


def short_name(model: str) -> str:
    """A published darts model's name as the paper prints it (``NBEATSModel`` → ``NBEATS``;
    darts's ``RNNModel`` was the paper's LSTM, its ``BlockRNNModel`` the paper's RNN)."""
    return {"RNNModel": "LSTM", "LinearRegressionModel": "LinearRegression", "BlockRNNModel": "RNN",
            "KalmanForecaster": "Kalman", "XGBModel": "XGBoost"}.get(model, model.removesuffix("Model"))


def compare(lab: pd.DataFrame, table: dict[str, dict[str, float]], granularity: int) -> Comparison:
    """The lab's results at ``granularity`` beside the published ``table`` (empty: the lab alone)."""
    mine = lab[(lab.granularity == granularity) & lab.smape.notna()] if len(lab) else lab
    names = sorted(set(mine.system) & set(table)) if table else sorted(set(mine.system))
    families = [f for f in LAB_FAMILIES if f in set(mine.family)]
    ours = mine.pivot_table(index="system", columns="family", values="smape", aggfunc="first").reindex(names)
    models = sorted({m for s in names for m in table.get(s, {})},
                    key=lambda m: np.median([table[s][m] for s in names if m in table[s]]))
    theirs = pd.DataFrame({short_name(m): [table.get(s, {}).get(m, np.nan) for s in names] for m in models},
                          index=names)
    systems = pd.DataFrame({"system": names})
    for family in families:
        systems[family] = ours[family].to_numpy()
    chosen = mine[mine.family == "auto"].set_index("system")["chosen"] if "auto" in families else pd.Series()
    systems["auto chose"] = [chosen.get(s, "") for s in names]
    for column in theirs.columns:
        systems[column] = theirs[column].to_numpy()
    if models:
        systems["best published"] = theirs.idxmin(axis=1).to_numpy()
        systems["its sMAPE"] = theirs.min(axis=1).to_numpy()
    everyone = systems[families + list(theirs.columns)]
    systems["winner"] = everyone.idxmin(axis=1).to_numpy() if len(names) else []
    rows = pd.DataFrame([(name, "lab" if name in families else "published", s, v)
                         for name in families + list(theirs.columns)
                         for s, v in zip(names, everyone[name]) if np.isfinite(v)],
                        columns=["model", "source", "system", "smape"])
    auto = systems["auto"].to_numpy() if "auto" in families else np.full(len(names), np.nan)
    ranks = everyone.rank(axis=1)  # 1: the system's best of every model shown (ties share the mean rank)
    summary = []
    for name in families + list(theirs.columns):
        values = everyone[name].to_numpy()
        known = np.isfinite(values) & np.isfinite(auto)
        summary.append({"model": name, "source": "lab" if name in families else "published",
                        "median sMAPE": float(np.nanmedian(values)) if np.isfinite(values).any() else np.nan,
                        "systems": int(np.isfinite(values).sum()),
                        "auto beats it on": float(np.mean(auto[known] < values[known])) if known.any() and
                        name != "auto" else np.nan,
                        "median rank": float(np.nanmedian(ranks[name])) if np.isfinite(values).any() else np.nan,
                        "wins": int((systems["winner"] == name).sum())})
    headline = {"systems": len(names), "beats_nbeats": np.nan, "beats_best": np.nan,
                "auto_median": float(np.nanmedian(auto)) if np.isfinite(auto).any() else np.nan,
                "nbeats_median": np.nan}
    nbeats = short_name(BEST_PUBLISHED)
    if models and "auto" in families:
        known = np.isfinite(auto)
        headline.update(beats_best=float(np.mean(auto[known] < systems["its sMAPE"].to_numpy()[known])),
                        blow_ups=int(mine[(mine.family == "auto")].blew_up.astype(str).eq("True").sum()))
        if nbeats in systems:
            column = systems[nbeats].to_numpy()
            both = known & np.isfinite(column)
            headline.update(beats_nbeats=float(np.mean(auto[both] < column[both])),
                            nbeats_median=float(np.nanmedian(column)))
    return Comparison(systems, pd.DataFrame(summary), rows, headline)
