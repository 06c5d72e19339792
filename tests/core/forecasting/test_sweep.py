"""The catalog sweep: a tiny sweep on a LocalCluster, its schema, resuming, failures as rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.forecasting import sweep
from core.runtime import jobs

ROOT = Path(__file__).resolve().parents[3]
SETTING = sweep.Setting(n_train=2000)


@pytest.fixture(scope="module")
def client():
    client = jobs.start_cluster(jobs.BatchPlan(2))  # what chaoslab sweep --workers 2 starts
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


def tiny_plan():
    # 3 systems × 2 families, one tuned (NVAR, 0.5 s) and one without a search space (persistence)
    return sweep.plan(["Henon", "Logistic", "Lorenz"], ["nvar", "persistence"], [SETTING], budget=0.5, windows=2)


def test_a_tiny_sweep_on_a_local_cluster_fills_the_schema_and_resumes_without_recomputing(client, tmp_path):
    cells = tiny_plan()
    assert len(cells) == 6 and len({c.key for c in cells}) == 6
    counts = sweep.run(cells[:3], tmp_path, client)  # cut short after half the cells
    assert counts["skipped"] == 0 and counts["ok"] + counts["blow-up"] == 3
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("part-*.parquet")}
    assert len(stamps) == 3
    seen = []
    counts = sweep.run(cells, tmp_path, client, progress=lambda done, total, row: seen.append((done, total)))
    assert counts["skipped"] == 3 and counts["ok"] + counts["blow-up"] + counts["error"] == 3
    assert seen[0] == (3, 6) and seen[-1] == (6, 6)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("part-*.parquet") if p.name in stamps} == stamps
    again = sweep.run(cells, tmp_path, client)  # everything done: nothing computed
    assert again["skipped"] == 6 and again["ok"] + again["blow-up"] + again["error"] == 0

    table = sweep.read(tmp_path)
    assert list(table.columns) == list(sweep.COLUMNS) and len(table) == 6
    assert set(table.status) <= {"ok", "blow-up"} and not table.message[table.status == "ok"].any()
    lorenz = table[(table.system == "Lorenz") & (table.family == "nvar")].iloc[0]
    assert lorenz.vpt > 1.0 and lorenz.lambda_max == pytest.approx(0.906, rel=0.02)  # Lorenz λ1 (Sprott)
    assert lorenz.max_vpt == pytest.approx(sweep.HORIZON, abs=0.01)  # windows of 30 Λt: long enough to see NVAR end
    assert lorenz.trials >= 1 and lorenz.tuning_s > 0 and json.loads(lorenz.hparams)  # tuned, and how
    assert 0 < lorenz.fit_s < lorenz.tuning_s  # the chosen configuration's refit: not the search, not ≈ 0
    assert np.isfinite(lorenz.d_stsp) and np.isfinite(lorenz.d_h) and lorenz.n_train == 2000
    assert "numpy" in json.loads(lorenz.versions) and lorenz.correlation_dimension > 1.5
    assert lorenz.lambda_model == pytest.approx(json.loads(lorenz.spectrum_model)[0], abs=1e-6)
    assert len(json.loads(lorenz.spectrum_model)) == 3  # the model's own leading exponents, recorded
    persistence = table[table.family == "persistence"]
    assert persistence.lambda_model.isna().all() and (persistence.spectrum_model == "").all()  # no map of its own
    assert (persistence.trials == 0).all() and (persistence.vpt < table[table.family == "nvar"].vpt.max()).all()
    summary = sweep.family_summary(table).set_index("family")  # how far each family's own λ1 is from the truth's
    assert 0 <= summary.loc["nvar", "median_model_lambda_error"] < 0.5
    assert np.isnan(summary.loc["persistence", "median_model_lambda_error"])
    one = sweep.compact(tmp_path, tmp_path / "leaderboard.parquet")
    assert sweep.read(one).shape == table.shape


def test_a_failing_cell_is_a_row_with_its_message(client, tmp_path):
    cells = sweep.plan(["MackeyGlass", "Henon"], ["analog"], [sweep.Setting(n_train=1000)], budget=0, windows=1)
    counts = sweep.run(cells, tmp_path, client)
    assert counts["error"] == 1
    table = sweep.read(tmp_path)
    failed = table[table.status == "error"].iloc[0]
    assert failed.system == "MackeyGlass" and "delay system" in failed.message and np.isnan(failed.vpt)
    assert (table[table.system == "Henon"].status != "error").all()


def test_too_little_data_to_tune_on_is_scored_at_the_defaults_and_says_so():
    row = sweep.run_cell(sweep.Cell("Henon", "nvar", sweep.Setting(n_train=400), budget=1.0, windows=1))
    assert row["status"] in ("ok", "blow-up") and row["message"].startswith("not tuned: 400 training points")
    assert row["trials"] == 0 and json.loads(row["hparams"]) and np.isfinite(row["vpt"])


def test_the_summary_says_which_forecasts_the_window_ended_rather_than_the_model():
    import pandas as pd

    rows = pd.DataFrame({"family": ["a"] * 4, "system": list("wxyz"), "status": ["ok"] * 4,
                         "vpt": [30.0, 29.996, 12.0, 5.0], "max_vpt": [30.0, 30.0, 30.0, 12.0],
                         "dt": [0.01] * 4, "lambda_max": [1.0] * 4, "fit_s": [0.1] * 4, "tuning_s": [1.0] * 4,
                         "lambda_model": [np.nan] * 4})
    assert list(sweep.at_window_end(rows)) == [True, True, False, False]  # to half a step (0.01 Λt)
    summary = sweep.family_summary(rows).iloc[0]
    assert summary.at_window_end == 0.5 and summary.upper_quartile_vpt == pytest.approx(29.997)
    assert all(c.horizon == 20.0 for c in sweep.plan(["Lorenz"], ["nvar"], [SETTING], horizon=20.0))
    with pytest.raises(ValueError, match="horizon must be positive"):
        sweep.plan(["Lorenz"], ["nvar"], [SETTING], horizon=0)


def test_unknown_families_are_refused_before_any_work():
    with pytest.raises(KeyError, match="no forecaster family"):
        sweep.plan(["Lorenz"], ["nvar", "gpt"], [SETTING])


def test_killing_the_command_loses_at_most_the_running_cells(tmp_path):
    """The command (``chaoslab sweep``) killed once a few parts exist, then rerun: the same final table,
    finished cells untouched."""
    command = [str(Path(sys.executable).with_name("chaoslab")), "sweep", "--out", str(tmp_path), "--systems", "Henon,Logistic,Tinkerbell",
               "--families", "persistence,mean,analog,parroting", "--n-train", "1000", "--budget", "0",
               "--windows", "1", "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.time() + 180
    while len(list(tmp_path.glob("part-*.parquet"))) < 3 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the whole sweep, its workers too
    process.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("part-*.parquet")}
    assert kept  # (a part being written when it was killed is a hidden scratch file, never a part-*)
    for part in kept:
        assert sweep.read(tmp_path / part).shape[0] == 1  # every stored part is whole
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{len(kept)} already done" in rerun.stdout
    table = sweep.read(tmp_path)
    assert len(table) == 12 and table.key.is_unique and not list(tmp_path.glob(".part-*"))
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("part-*.parquet") if p.name in kept} == kept


def test_a_page_sweep_stops_at_its_time_bound_and_says_how_many_cells_were_left(tmp_path):
    from core.runtime import jobs

    cells = sweep.plan(["Henon", "Logistic", "Tent"], ["persistence"], [SETTING], windows=1)
    counts = sweep.run_here(cells, tmp_path, job=jobs.local_context(), max_seconds=0.0)
    # the bound is checked before each cell: with none left, the first cell is not started either
    assert counts["unfinished"] == 3 and counts["ok"] + counts["blow-up"] + counts["error"] == 0
    assert not list(tmp_path.glob("part-*.parquet"))
    counts = sweep.run_here(cells, tmp_path, job=jobs.local_context(), max_seconds=60.0)
    assert counts["unfinished"] == 0 and counts["ok"] + counts["blow-up"] + counts["error"] == 3


def test_the_leaderboards_filters_grid_and_cells_are_table_operations():
    import pandas as pd

    rows = [  # system, kind, family, n_train, noise, vpt, finished
        ("Lorenz", "flow", "nvar", 10000, 0.0, 4.0, 1), ("Lorenz", "flow", "esn", 10000, 0.0, 2.0, 2),
        ("Henon", "map", "nvar", 10000, 0.0, 6.0, 3), ("Lorenz", "flow", "nvar", 1000, 0.0, 1.0, 4),
        ("Lorenz", "flow", "nvar", 10000, 0.05, 0.5, 5), ("Lorenz", "flow", "nvar", 10000, 0.0, 5.0, 6),
    ]
    table = pd.DataFrame(rows, columns=["system", "kind", "family", "n_train", "noise", "vpt", "finished"]).assign(
        sampling=1.0, lambda_max=0.906, correlation_dimension=2.05)
    assert sweep.settings(table) == [(10000, 0.0, 1.0), (1000, 0.0, 1.0), (10000, 0.05, 1.0)]  # clean, longest first
    clean = sweep.select(table, ["nvar", "esn"], (10000, 0.0, 1.0))
    assert sorted(clean.finished) == [1, 2, 3, 6]
    assert list(sweep.select(table, ["nvar"], (10000, 0.0, 1.0), kind="map").system) == ["Henon"]
    assert len(sweep.select(table, kind="flow")) == 5
    grid = sweep.vpt_grid(clean, ["nvar", "esn"]).set_index("system")
    assert grid.loc["Lorenz", "nvar"] == 4.5 and grid.loc["Lorenz", "esn"] == 2.0  # two runs of a cell: their mean
    assert np.isnan(grid.loc["Henon", "esn"]) and grid.loc["Henon", "kind"] == "map"
    assert sweep.latest(table, "Lorenz", "nvar", (10000, 0.0, 1.0)).finished == 6  # a rerun replaces the cell
    assert sweep.latest(table, "Henon", "esn", (10000, 0.0, 1.0)) is None


def test_the_families_of_one_system_and_setting_share_one_split_and_score_as_if_alone(monkeypatch):
    from core import systems
    from core.forecasting import experiment

    cells = sweep.plan(["Henon", "Lorenz"], ["nvar", "analog"], [SETTING], budget=0, windows=1)
    assert [[c.family for c in group] for group in sweep.by_data(cells)] == [["nvar", "analog"]] * 2
    alone = [sweep.run_cell(cell) for cell in cells]
    built, make_split = [], experiment.make_split
    monkeypatch.setattr(experiment, "make_split", lambda task: built.append(task.system.name) or make_split(task))
    shared = [row for group in sweep.by_data(cells) for row in sweep.run_cells(group)]
    assert built == ["Henon", "Lorenz"]  # once per system, not once per cell
    scores = ("vpt", "nrmse", "smape", "d_stsp", "lambda_free")
    for a, b in zip(alone, shared):
        assert (a["system"], a["family"], a["status"]) == (b["system"], b["family"], b["status"]) == \
            (a["system"], a["family"], "ok")
        assert np.array_equal([a[s] for s in scores], [b[s] for s in scores], equal_nan=True)
    split = sweep._split(cells[0], systems.get("Henon"), None)
    with pytest.raises(ValueError, match="read-only"):  # a family writing into its data fails, not the next family
        split.train[0, 0] = 0.0
