"""The catalog sweep: systems × families × settings × seeds on Dask → one Parquet results table.

Every cell is the lab's one forecasting experiment (``core.forecasting.experiment``: task → split → scores,
Gilpin 2023 in small), tuned per system where the family has a search space (``core.forecasting.tuning``),
scored short-term (VPT, NRMSE, sMAPE) and as an attractor (D_stsp, D_H, the free run's λ1).

Resumable: each finished cell is written at once as its own Parquet part (written aside, then
renamed: a killed sweep leaves no half-written file), and a re-run skips every cell whose part
exists, so killing a sweep loses at most the cells that were running. A cell that fails is a
row too (``status`` "error" or "blow-up", with the message), never dropped.

    python -m core.forecasting.sweep --out results/ [--systems Lorenz,Henon] [--families nvar,esn]
        [--n-train 10000,1000] [--noise 0,0.01,0.05] [--sampling 1] [--seeds 0] [--budget 2]
        [--scheduler tcp://host:8786] [--workers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import versions, written_aside

# the table's columns, in order; ``read`` and the tests check every part against it
COLUMNS = {
    "key": "string", "system": "string", "kind": "string", "group": "string", "family": "string",
    "n_train": "int64", "noise": "float64", "sampling": "float64", "seed": "int64", "dt": "float64",
    "lambda_max": "float64", "correlation_dimension": "float64", "kaplan_yorke_dimension": "float64",
    "status": "string", "message": "string",
    "vpt": "float64", "vpt_std": "float64", "nrmse": "float64", "smape": "float64", "blow_ups": "int64",
    "windows": "int64", "max_vpt": "float64",
    "d_stsp": "float64", "d_h": "float64", "lambda_free": "float64",
    "lambda_model": "float64", "spectrum_model": "string", "attractor_note": "string",
    "fit_s": "float64", "tuning_s": "float64", "budget_s": "float64", "trials": "int64",
    "hparams": "string", "versions": "string", "finished": "float64",
}
OK, BLOW_UP, ERROR = "ok", "blow-up", "error"
HORIZON = 30.0  # Lyapunov times per test window: long enough that no family's upper quartile reaches the end
MAX_WINDOW_STEPS = 30_000  # a weakly chaotic flow's window is cut here (and so its VPT: ``max_vpt`` says where)
FREE_RUN = 5_000  # steps of the free run judged as an attractor (D_stsp, D_H, λ1): its scoring is most of a cell


@dataclass(frozen=True)
class Setting:
    """The data a family is given: ``n_train`` points, observation ``noise`` (× each coordinate's
    std, training data only) and a sampling step of ``sampling`` × the catalog's ``dt``."""

    n_train: int = 10_000
    noise: float = 0.0
    sampling: float = 1.0


@dataclass(frozen=True)
class Cell:
    """One row of the table to compute."""

    system: str
    family: str
    setting: Setting
    seed: int = 0
    budget: float = 2.0  # seconds of tuning (0: the time-aware defaults)
    windows: int = 5
    horizon: float = HORIZON

    @property
    def key(self) -> str:
        """What identifies the cell's result: a re-run with the same key is skipped."""
        text = json.dumps([self.system, self.family, dataclasses.asdict(self.setting), self.seed, self.budget,
                           self.windows, self.horizon])
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def _finite(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else float("nan")


def data_key(cell: Cell) -> tuple:
    """What a cell's data depend on: cells with the same key (the families of one system in one
    setting) are scored on the same split, built once (``run_cells``)."""
    return cell.system, cell.setting, cell.seed, cell.horizon, cell.windows


def by_data(cells: list[Cell]) -> list[list[Cell]]:
    """``cells`` grouped by ``data_key``, groups in the order of their first cell."""
    groups: dict[tuple, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(data_key(cell), []).append(cell)
    return list(groups.values())


def run_cells(cells: list[Cell]) -> list[dict]:
    """Cells of one ``data_key`` (on a Dask worker, or here): their rows, the split built once."""
    splits: dict = {}
    return [run_cell(cell, splits) for cell in cells]


def _split(cell: Cell, system, splits: dict | None):
    """The cell's split, from ``splits`` (a cache by ``data_key``) when an earlier cell built it.
    Its arrays are read-only: a family that wrote into its training data would change the next
    family's, so it fails loudly instead."""
    from core.forecasting import experiment

    key = data_key(cell)
    if splits is not None and key in splits:
        return splits[key]
    task = experiment.ForecastTask(system, dt=system.dt * cell.setting.sampling, n_train=cell.setting.n_train,
                                   noise=cell.setting.noise, seed=cell.seed, horizon=cell.horizon,
                                   windows=cell.windows, free_run=FREE_RUN, max_window_steps=MAX_WINDOW_STEPS)
    split = experiment.make_split(task)
    for array in (split.train, split.series):
        array.flags.writeable = False
    if splits is not None:
        splits.clear()  # one split at a time: a group's cells come together
        splits[key] = split
    return split


def run_cell(cell: Cell, splits: dict | None = None) -> dict:
    """Compute one cell (on a Dask worker, or here): a row of ``COLUMNS``, also when it fails.
    ``splits``: a cache shared by cells of the same data (``run_cells``)."""
    from core import systems
    from core.forecasting import experiment

    system = systems.get(cell.system)
    row = _cell_row(cell) | {
        "kind": system.kind, "group": system.group, "correlation_dimension": _finite(system.correlation_dimension),
        "kaplan_yorke_dimension": _finite(system.kaplan_yorke_dimension), "trials": 0, "blow_ups": 0,
        "attractor_note": "", "hparams": "{}", "tuning_s": 0.0,
    }
    try:
        split = _split(cell, system, splits)
        row.update(dt=split.dt, lambda_max=split.lam, max_vpt=split.window_steps * split.dt * split.lam)
        fitted = experiment.fit(split, cell.family, budget=cell.budget, seed=cell.seed)  # the page's policy
        model, row["message"] = fitted.model, fitted.note  # a note: too little data to tune on, and why
        row.update(tuning_s=fitted.search_seconds, trials=fitted.trials)  # "auto": every candidate's search
        row.update(fit_s=fitted.fit_seconds, hparams=json.dumps(_plain(fitted.hparams), sort_keys=True))
        scores = experiment.score_forecast(model, split)
        row.update(vpt=scores.vpt, vpt_std=scores.vpt_std, nrmse=_finite(scores.nrmse), smape=_finite(scores.smape),
                   blow_ups=scores.blow_ups)
        if scores.blow_ups:
            blown = next(w.message for w in scores.windows if w.blew_up_after is not None)
            row.update(status=BLOW_UP, message="; ".join(m for m in (row["message"], blown) if m))
        attractor = experiment.score_attractor(model, split)
        spectrum = attractor.spectrum.exponents if attractor.spectrum is not None else None
        row.update(d_stsp=_finite(attractor.d_stsp), d_h=_finite(attractor.d_h),
                   lambda_free=_finite(attractor.lambda_free), attractor_note="; ".join(attractor.notes),
                   lambda_model=_finite(spectrum[0]) if spectrum is not None else None,
                   spectrum_model=json.dumps([round(float(v), 6) for v in spectrum]) if spectrum is not None else "")
    except Exception as exc:  # a cell the lab cannot compute is a row that says why, never a crash
        from core.runtime import jobs

        row.update(status=ERROR, message=jobs.describe(exc))
    row["finished"] = time.time()
    return row


def _plain(params: dict) -> dict:
    """Hyper-parameters as JSON can hold them."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in dict(params).items()}


# ---------------------------------------------------------------------------------------------
# Planning, storing and running


def chaotic_systems() -> list[str]:
    """Every dysts flow and map with a Lyapunov time to measure in: λ1 · period ≥ 0.01 for a flow
    (quasi-periodic and nearly neutral flows have none), λ1 ≥ 0.01 per iterate for a map."""
    from core import systems
    from core.dynamics import lyapunov

    table = lyapunov.shipped_table()
    chosen = []
    for name in systems.names():
        system = systems.get(name)
        if system.origin != "dysts" or system.kind not in ("flow", "map") or name not in table:
            continue
        lam = table[name]
        if lam >= 0.01 if system.kind == "map" else lam * (system.period or 0) >= 0.01:
            chosen.append(name)
    return chosen


def plan(systems_: list[str], families: list[str], settings: list[Setting], seeds=(0,), budget: float = 2.0,
         windows: int = 5, horizon: float = HORIZON) -> list[Cell]:
    """Every combination, systems outermost (a sweep that is cut short has whole systems); test
    windows of ``horizon`` Lyapunov times."""
    from core.forecasting.families import registry

    for family in families:
        registry.family(family)  # an unknown name fails here, before any work
    if not horizon > 0:
        raise ValueError(f"the test horizon must be positive, got {horizon}")
    return [Cell(s, f, setting, seed, budget, windows, horizon) for s in systems_ for setting in settings for seed in seeds
            for f in families]


def done_keys(out: Path) -> set[str]:
    """The cells whose results are stored under ``out``: a re-run skips them."""
    return {p.stem.removeprefix("part-") for p in Path(out).glob("part-*.parquet")}


def _schema():
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    return pa.schema([(name, types[kind]) for name, kind in COLUMNS.items()])


def store(row: dict, out: Path) -> Path:
    """One finished cell as its own Parquet part, written aside and renamed into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([{k: row.get(k) for k in COLUMNS}], schema=_schema())
    path = out / f"part-{row['key']}.parquet"
    with written_aside(path) as scratch:  # hidden .part-….tmp until whole: a killed sweep leaves no part
        pq.write_table(table, scratch)
    return path


def read(out: Path):
    """The results table under ``out`` (a folder of parts, or one Parquet file) as a DataFrame."""
    import pyarrow.parquet as pq

    out = Path(out)
    if out.is_file():
        return pq.read_table(out, schema=_schema()).to_pandas()
    parts = sorted(out.glob("part-*.parquet"))
    if not parts:
        return _schema().empty_table().to_pandas()
    return pq.read_table(parts, schema=_schema()).to_pandas() if len(parts) == 1 else \
        pq.ParquetDataset(parts, schema=_schema()).read().to_pandas()


def compact(out: Path, path: Path) -> Path:
    """The parts under ``out`` as one sorted Parquet file (what ships in ``assets/``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = read(out).sort_values(["system", "family", "n_train", "noise", "sampling", "seed"])
    path = Path(path)
    pq.write_table(pa.Table.from_pandas(frame, schema=_schema(), preserve_index=False), path,
                   compression="zstd")
    return path


def run(cells: list[Cell], out: Path, client, progress=None) -> dict:
    """Compute every cell not stored under ``out`` yet, on ``client``'s workers, storing each as it
    finishes. ``progress(done, total, row)`` after each. Returns counts by status."""
    from distributed import as_completed

    out = Path(out)
    for scratch in out.glob(".part-*.tmp"):  # left by a sweep killed while writing: its cell reruns
        scratch.unlink()
    finished = done_keys(out)
    todo = [c for c in cells if c.key not in finished]
    counts = {"skipped": len(cells) - len(todo), OK: 0, BLOW_UP: 0, ERROR: 0}
    if progress is not None:
        progress(counts["skipped"], len(cells), None)
    # one task per system and setting: its families share the split (long-running groups first
    # would balance better, but systems in order make a cut sweep useful)
    groups = by_data(todo)
    futures = client.map(run_cells, groups, key=[f"sweep-{g[0].key}-{len(g)}" for g in groups], pure=False)
    done = counts["skipped"]
    for future in as_completed(futures, loop=client.loop) if futures else ():
        group = groups[futures.index(future)]
        try:
            rows = future.result()
        except Exception as exc:  # the worker died: each cell is a row with the reason, as any failure
            from core.runtime import jobs

            rows = [_cell_row(cell, ERROR, jobs.describe(exc)) for cell in group]
        for row in rows:
            store(row, out)
            counts[row["status"]] += 1
            done += 1
            if progress is not None:
                progress(done, len(cells), row)
        future.release()
    return counts


def _cell_row(cell: Cell, status: str = OK, message: str = "") -> dict:
    """A row saying what the cell is, every measured column empty."""
    return {column: None for column in COLUMNS} | {
        "key": cell.key, "system": cell.system, "family": cell.family, "n_train": cell.setting.n_train,
        "noise": cell.setting.noise, "sampling": cell.setting.sampling, "seed": cell.seed, "status": status,
        "message": message, "budget_s": float(cell.budget), "windows": cell.windows, "versions": json.dumps(versions(), sort_keys=True),
        "finished": time.time()}


def run_here(cells: list[Cell], out: Path, *, job, max_seconds: float | None = None) -> dict:
    """A job (the page's "sweep this"): ``cells`` one after another on this worker, each stored as
    it finishes, with progress and Stop between cells. Returns counts by status, and under
    ``"unfinished"`` the cells not started: Stop, or ``max_seconds`` spent (a cell under way
    finishes first, so a sweep overruns its bound by at most one cell, itself bounded by its
    tuning budget and ``MAX_WINDOW_STEPS``)."""
    out = Path(out)
    finished = done_keys(out)
    counts = {"skipped": 0, OK: 0, BLOW_UP: 0, ERROR: 0, "unfinished": 0}
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    splits: dict = {}  # the families of one system and setting share its split
    for i, cell in enumerate(cells):
        if job.stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
            counts["unfinished"] = len(cells) - i
            break
        if cell.key in finished:
            counts["skipped"] += 1
        else:
            row = run_cell(cell, splits)
            store(row, out)
            counts[row["status"]] += 1
        job.progress((i + 1) / len(cells), {"cell": f"{cell.system} {cell.family}"})
    return counts


# ---------------------------------------------------------------------------------------------
# Reading the table: what the Leaderboard tab shows

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "leaderboard.parquet"


def user_folder() -> Path:
    """Where the page's own sweeps are stored (``$CHAOSLAB_SWEEPS``, else beside the model store)."""
    return Path(os.environ.get("CHAOSLAB_SWEEPS") or Path.home() / ".cache" / "chaoslab" / "sweeps")


def leaderboard(*sources: Path):
    """The shipped table and the page's own sweeps as one DataFrame (a cell computed again wins)."""
    import pandas as pd

    sources = sources or (SHIPPED, user_folder())
    frames = [read(path) for path in sources if Path(path).exists()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return read(Path("/nonexistent"))
    table = pd.concat(frames, ignore_index=True).sort_values("finished")
    return table.drop_duplicates("key", keep="last").reset_index(drop=True)


def setting_label(n_train: int, noise: float, sampling: float) -> str:
    """A setting in words, e.g. "10000 points, noise 1 %"."""
    words = f"{int(n_train)} points, " + ("no noise" if noise == 0 else f"noise {100 * noise:g} %")
    return words + ("" if sampling == 1 else f", every {sampling:g} dt")


def settings(table) -> list[tuple]:
    """The settings swept, as (n_train, noise, sampling): clean data first, the longest training first."""
    if not len(table):
        return []
    rows = table[["n_train", "noise", "sampling"]].drop_duplicates().sort_values(
        ["noise", "n_train", "sampling"], ascending=[True, False, True])
    return [tuple(row) for row in rows.itertuples(index=False)]


def select(table, families=None, setting: tuple | None = None, kind: str | None = None):
    """The rows of ``families`` (every one when None), of one ``setting`` (n_train, noise,
    sampling) when given, of one ``kind`` of system ("flow", "map") when given."""
    keep = table.family.isin(list(families)) if families is not None else table.family.notna()
    if setting is not None:
        n_train, noise, sampling = setting
        keep &= (table.n_train == n_train) & (table.noise == noise) & (table.sampling == sampling)
    if kind is not None:
        keep &= table.kind == kind
    return table[keep]


def vpt_grid(rows, order: list[str]):
    """One line per system: its kind, λ1 and correlation dimension, then each family's mean VPT
    (columns in ``order``), rounded as the page shows them."""
    pivot = rows.pivot_table(index="system", columns="family", values="vpt", aggfunc="mean")[order]
    facts = rows.groupby("system")[["kind", "lambda_max", "correlation_dimension"]].first()
    grid = facts.join(pivot.round(2)).reset_index()
    return grid.assign(lambda_max=grid.lambda_max.round(4), correlation_dimension=grid.correlation_dimension.round(2))


def latest(table, system: str, family: str, setting: tuple):
    """The newest row of one cell (a rerun replaces it), or None."""
    match = select(table[table.system == system], [family], setting)
    return match.sort_values("finished").iloc[-1] if len(match) else None


def family_summary(table):
    """Per family over the systems it ran on: systems, VPT ≥ 1 (fraction), median and upper-quartile
    VPT, the fraction of cells whose forecast stayed valid to the end of its test window (a VPT
    that is a lower bound: the window, not the model, ended it), blow-ups, failures, median fit and
    tuning seconds, and how far the λ1 of the model's own dynamics is from
    the truth's (median relative error; the column is left out for a table swept before it was
    recorded); best median first."""
    import pandas as pd

    if not len(table):
        return pd.DataFrame(columns=["family", "systems", "vpt_at_least_1", "median_vpt", "upper_quartile_vpt",
                                     "at_window_end", "blow_ups", "errors", "median_fit_s", "median_tuning_s"])
    rows = []
    for family, group in table.groupby("family"):
        scored = group[group.status != ERROR]
        rows.append({"family": family, "systems": group.system.nunique(),
                     "vpt_at_least_1": float((scored.vpt >= 1).mean()) if len(scored) else np.nan,
                     "median_vpt": float(scored.vpt.median()) if len(scored) else np.nan,
                     "upper_quartile_vpt": float(scored.vpt.quantile(0.75)) if len(scored) else np.nan,
                     "at_window_end": float(at_window_end(scored).mean()) if len(scored) else np.nan,
                     "blow_ups": int((group.status == BLOW_UP).sum()), "errors": int((group.status == ERROR).sum()),
                     "median_fit_s": float(scored.fit_s.median()), "median_tuning_s": float(scored.tuning_s.median()),
                     "median_model_lambda_error": _model_lambda_error(scored)})
    summary = pd.DataFrame(rows).sort_values("median_vpt", ascending=False, na_position="last").reset_index(drop=True)
    if summary.median_model_lambda_error.isna().all():  # a table swept before the models' own spectra
        summary = summary.drop(columns="median_model_lambda_error")
    return summary


def at_window_end(rows):
    """Whether each row's forecast stayed valid to the end of its test window (its VPT is the
    window's length ``max_vpt``, to a step): there the window, not the model, set the VPT."""
    step = rows.dt * rows.lambda_max  # one step in Lyapunov times
    return (rows.vpt >= rows.max_vpt - 0.5 * step) & np.isfinite(rows.max_vpt)


def _model_lambda_error(rows) -> float:
    """Median over systems of |λ1 of the model's own dynamics / the truth's λ1 − 1| (NaN without one)."""
    known = rows[np.isfinite(rows.lambda_model.astype(float)) & (rows.lambda_max > 0)]
    return float((known.lambda_model / known.lambda_max - 1).abs().median()) if len(known) else np.nan


def box_stats(rows, order: list[str]) -> tuple[dict, dict]:
    """Tukey's box of VPT per family, in ``order``: quartiles, whiskers at the furthest point within
    1.5 IQR, and the points beyond them."""
    boxes = {c: [] for c in ("family", "q1", "q2", "q3", "low", "high", "n")}
    outliers = {"family": [], "vpt": [], "system": []}
    for family in order:
        data = rows[rows.family == family][["vpt", "system"]].dropna()
        if not len(data):
            continue
        q1, q2, q3 = np.quantile(data.vpt, [0.25, 0.5, 0.75])
        inside = data.vpt[(data.vpt >= q1 - 1.5 * (q3 - q1)) & (data.vpt <= q3 + 1.5 * (q3 - q1))]
        for key, value in zip(boxes, (family, q1, q2, q3, inside.min(), inside.max(), len(data))):
            boxes[key].append(value)
        beyond = data[~data.index.isin(inside.index)]
        outliers["family"] += [family] * len(beyond)
        outliers["vpt"] += list(beyond.vpt)
        outliers["system"] += list(beyond.system)
    return boxes, outliers


def rank_correlation(table, against: str) -> dict[str, float]:
    """Spearman's ρ between VPT and ``against`` (``lambda_max``, ``correlation_dimension``) per
    family: Gilpin (2023) observed that long-horizon accuracy decorrelates from λ1."""
    from scipy.stats import spearmanr

    out = {}
    for family, group in table[table.status != ERROR].groupby("family"):
        pairs = group[["vpt", against]].dropna()
        if len(pairs) >= 5 and pairs[against].nunique() > 1 and pairs.vpt.nunique() > 1:
            out[family] = float(spearmanr(pairs.vpt, pairs[against]).statistic)
    return out


def degradation(table, axis: str):
    """Median VPT per family at each value of ``axis`` (``noise`` or ``n_train``), over the systems
    that ran at every value (so a curve compares like with like): family × value."""
    import pandas as pd

    scored = table[table.status != ERROR]
    values = sorted(scored[axis].unique())
    if len(values) < 2:
        return pd.DataFrame()
    other = {"noise": "n_train", "n_train": "noise"}[axis]
    base = scored[other].mode().iloc[0] if other == "n_train" else 0.0  # the other axis at its usual value
    sub = scored[scored[other] == base]
    complete = sub.groupby(["family", "system"])[axis].nunique()
    keep = complete[complete == len(values)].reset_index()[["family", "system"]]
    sub = sub.merge(keep, on=["family", "system"])
    return sub.groupby(["family", axis]).vpt.median().unstack(axis)


def _numbers(text: str, kind=float) -> list:
    return [kind(v) for v in str(text).split(",") if v.strip()]


def main(argv=None, prog: str = "python -m core.forecasting.sweep") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sweep-results", help="folder of the results' Parquet parts")
    parser.add_argument("--systems", default="", help="comma-separated names (default: every chaotic flow and map)")
    parser.add_argument("--families", default="", help="comma-separated families (default: every family that is "
                        "not trained epoch by epoch, registry.names(iterative=False))")
    parser.add_argument("--n-train", default="10000", help="training lengths, e.g. 10000,1000")
    parser.add_argument("--noise", default="0", help="observation noise levels (× std), e.g. 0,0.01,0.05")
    parser.add_argument("--sampling", default="1", help="sampling steps as multiples of the catalog's dt")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of tuning per cell (0: defaults)")
    parser.add_argument("--windows", type=int, default=5, help="test windows per cell")
    parser.add_argument("--horizon", type=float, default=HORIZON, help="Lyapunov times per test window "
                        f"(at most {MAX_WINDOW_STEPS} steps)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N systems")
    parser.add_argument("--scheduler", default=os.environ.get("CHAOSLAB_SCHEDULER", ""),
                        help="a Dask scheduler address (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local workers")
    parser.add_argument("--compact", default="", help="also write the whole table to this Parquet file")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from core.forecasting.families import registry
    from core.runtime import jobs

    names = [s for s in args.systems.split(",") if s] or chaotic_systems()
    names = names[: args.limit] if args.limit else names
    settings = [Setting(int(n), noise, sampling) for n in _numbers(args.n_train, int)
                for noise in _numbers(args.noise) for sampling in _numbers(args.sampling)]
    families = [f for f in args.families.split(",") if f] or registry.names(iterative=False)
    cells = plan(names, families, settings, _numbers(args.seeds, int), args.budget,
                 args.windows, args.horizon)
    client = jobs.connect(args.scheduler) if args.scheduler else jobs.start_cluster(jobs.BatchPlan(args.workers))
    start = time.perf_counter()
    with tqdm(total=len(cells), unit="cell", file=sys.stderr, dynamic_ncols=True) as bar:
        def progress(done, total, row):
            bar.n = done
            if row is not None:
                bar.set_postfix_str(f"{row['system']} {row['family']}: {row['status']}", refresh=False)
            bar.refresh()
        counts = run(cells, Path(args.out), client, progress)
    seconds = time.perf_counter() - start
    computed = sum(counts[k] for k in (OK, BLOW_UP, ERROR))
    print(f"{len(cells)} cells: {counts['skipped']} already done, {counts[OK]} ok, {counts[BLOW_UP]} with a "
          f"blow-up, {counts[ERROR]} failed; {seconds:.0f} s, {60 * computed / max(seconds, 1e-9):.1f} cells a "
          f"minute; table: {args.out}")
    if args.compact:
        print(f"compacted into {compact(Path(args.out), Path(args.compact))}")
    cluster = client.cluster if not args.scheduler else None
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
