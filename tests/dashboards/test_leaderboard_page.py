"""The Leaderboard tab without a browser: filters, the summary, a click that opens a forecast, and
"sweep this" adding rows (inline here; on the cluster in the page)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.forecasting import sweep
from dashboards.leaderboard import LeaderboardDashboard
from dashboards.selection import Selection


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leaderboard")
    cells = sweep.plan(["Henon", "Logistic", "Lorenz"], ["parroting", "persistence"],
                       [sweep.Setting(n_train=1000), sweep.Setting(n_train=1000, noise=0.05)], budget=0, windows=1)
    for cell in cells:
        sweep.store(sweep.run_cell(cell), folder)
    return folder


def test_the_tab_summarises_filters_and_opens_a_clicked_forecast(results, tmp_path):
    opened = []
    tab = LeaderboardDashboard(Selection(), open_forecast=opened.append, sources=(results, tmp_path), active=True)
    assert set(tab.families.value) == {"parroting", "persistence"}
    assert tab.setting.value == (1000, 0.0, 1.0) and len(tab.setting.options) == 2  # no noise first
    grid = tab.grid.value
    assert sorted(grid.system) == ["Henon", "Logistic", "Lorenz"] and {"parroting", "persistence"} <= set(grid)
    assert list(tab.summary.object.family)[0] == "parroting"  # parroting beats persistence (Zhang & Gilpin 2025)
    assert "3 systems × 2 families" in tab.note.object
    noise = tab.noise_lines.data  # the two noise levels of the same systems: a curve per family
    assert set(noise["family"]) == {"parroting", "persistence"} and all(xs == [0.0, 0.05] for xs in noise["xs"])
    assert "the same systems at each" in tab.noise_title.text
    assert "no sweep over training length" in tab.length_title.text  # one length only
    boxes = tab.box_source.data  # one box per family, best median first, its quartiles in order
    assert boxes["family"] == ["parroting", "persistence"] == list(tab.boxes.object.x_range.factors)
    assert all(lo <= q1 <= q2 <= q3 <= hi for lo, q1, q2, q3, hi in
               zip(boxes["low"], boxes["q1"], boxes["q2"], boxes["q3"], boxes["high"]))
    assert len(tab.lambda_points.data["x"]) > 0 and min(tab.lambda_points.data["x"]) > 0  # a log axis
    tab.kind.value = "maps"
    assert sorted(tab.grid.value.system) == ["Henon", "Logistic"]
    tab.families.value = ["parroting"]
    assert "persistence" not in tab.grid.value.columns
    row = list(tab.grid.value.system).index("Logistic")
    tab._on_cell(SimpleNamespace(row=row, column="parroting"))
    assert opened and opened[0]["system"] == "Logistic" and opened[0]["family"] == "parroting"
    assert opened[0]["n_train"] == 1000 and opened[0]["noise"] == 0.0 and isinstance(opened[0]["hparams"], dict)
    tab._on_cell(SimpleNamespace(row=row, column="kind"))  # not a family's cell: nothing opens
    assert len(opened) == 1


def test_box_stats_are_tukeys_box():
    rows = pd.DataFrame({"family": ["a"] * 9 + ["b"] * 2, "vpt": [1, 2, 3, 4, 5, 6, 7, 8, 100, 2.0, np.nan],
                         "system": list("abcdefghi") + ["x", "y"]})
    boxes, outliers = sweep.box_stats(rows, ["b", "a"])
    assert boxes["family"] == ["b", "a"] and boxes["n"] == [1, 9]
    assert boxes["q2"][1] == 5 and boxes["q1"][1] == 3 and boxes["q3"][1] == 7
    assert boxes["low"][1] == 1 and boxes["high"][1] == 8  # the whisker stops at the last point within 1.5 IQR
    assert outliers == {"family": ["a"], "vpt": [100], "system": ["i"]}


def test_sweep_this_adds_its_cells_to_the_table_and_refuses_too_many(results, tmp_path):
    tab = LeaderboardDashboard(Selection(), sources=(results, tmp_path), active=True)
    tab.sweep_systems.value, tab.sweep_families.value = ["Tinkerbell"], ["persistence"]
    tab.sweep_n_train.value, tab.sweep_budget.value = 1000, 0.0
    tab.run_sweep()
    assert "1 cells computed" in tab.sweep_note.object
    assert "Tinkerbell" in set(tab.grid.value.system) and list(tmp_path.glob("part-*.parquet"))
    tab.sweep_systems.value = ["Lorenz", "Henon", "Logistic", "Tinkerbell", "Rossler"]
    tab.sweep_families.value = ["nvar", "esn", "edmd", "sindy", "analog"]
    tab.run_sweep()
    assert "choose 1 to 24 cells" in tab.sweep_note.object


def test_a_log_axis_is_ranged_from_its_data_never_left_to_bokehjs_empty(results, tmp_path):
    """BokehJS's automatic range on an empty log axis recomputes the layout without end (a hung
    page): the log axes carry explicit ranges, fitted to the data, 0.1–10 with none."""
    tab = LeaderboardDashboard(Selection(), sources=(results, tmp_path))
    tab.prepare()
    lam = tab.lambda_range
    x = np.asarray(tab.lambda_points.data["x"])
    assert type(lam).__name__ == "Range1d" and 0 < lam.start < x.min() <= x.max() < lam.end
    length = tab.length_range  # one training length only: no curve, the default span
    assert type(length).__name__ == "Range1d" and not tab.length_lines.data["xs"]
    assert (length.start, length.end) == (0.1, 10.0)


def test_the_scatters_curves_and_sweep_form_are_built_when_their_sub_tab_is_first_chosen(results, tmp_path):
    tab = LeaderboardDashboard(Selection(), sources=(results, tmp_path))
    tab.prepare()
    sections = tab.main()[-1]
    assert [len(holder) for holder in sections.objects[1:]] == [0, 0, 0, 0, 0]  # only the comparison is built
    sections.active = 1
    (scatters,) = sections.objects[1].objects
    lam, dim = (pane.object for pane in scatters)
    assert lam.x_range is tab.lambda_range and lam.x_scale.__class__.__name__ == "LogScale"
    assert {r.data_source for r in lam.renderers} == {tab.lambda_points}  # the data already drawn
    assert {r.data_source for r in dim.renderers} == {tab.dimension_points} and len(tab.dimension_points.data["x"])
    assert [len(holder) for holder in sections.objects[2:]] == [0, 0, 0, 0]
    sections.active = 2
    noise, length = (pane.object for pane in sections.objects[2][0])
    assert noise.title is tab.noise_title and length.x_range is tab.length_range
    sections.active = 3
    assert tab.sweep_button in list(sections.objects[3][0].select(type(tab.sweep_button)))
    sections.active = 1  # chosen again: the same figures
    assert sections.objects[1][0] is scatters


FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "gilpin2023"  # invented numbers, the real format


def test_the_published_benchmark_shows_the_labs_rerun_beside_the_papers_models(monkeypatch):
    from dashboards.published import PublishedBenchmark

    monkeypatch.setenv("CHAOSLAB_GILPIN2023", str(FIXTURE))
    tab = PublishedBenchmark()
    tab.prepare()
    table = tab.table.value
    assert sorted(table.system) == ["Aizawa", "Lorenz", "Rossler"]
    assert {"auto", "nvar", "esn", "parroting", "analog", "auto chose", "NBEATS", "ARIMA", "LSTM", "best published",
            "winner"} <= set(table.columns)
    assert "**3 systems at 100 points per period.** auto: median sMAPE" in tab.note.object
    assert "than each system's best published model on" in tab.note.object
    boxes = tab.boxes_source.data  # a box per model, lab orange and published grey, best median first
    assert set(boxes["model"]) == {"auto", "nvar", "esn", "parroting", "analog", "NBEATS", "ARIMA", "LSTM"}
    assert list(tab.boxes.object.x_range.factors) == boxes["model"] and boxes["q2"] == sorted(boxes["q2"])
    assert {m: c for m, c in zip(boxes["model"], boxes["colour"])}["NBEATS"] == "#ced4da"
    models = tab.models.object  # the lab's families first, then the paper's by median
    assert list(models.model[:5]) == ["auto", "nvar", "esn", "parroting", "analog"]
    assert list(models.source) == ["lab"] * 5 + ["published"] * 3 and models["auto beats it on"].iloc[0] == ""
    tab.granularity.value = "15 points per period"
    assert "at 15 points per period" in tab.note.object
    assert table.loc[table.system == "Lorenz", "NBEATS"].item() == 40.0
    assert tab.table.value.loc[tab.table.value.system == "Lorenz", "NBEATS"].item() == 32.0
    tab.granularity.value = "multivariate (Gilpin 2023)"  # the lab's own series beside the paper's 15 models
    assert "**3 systems of the multivariate benchmark (the lab's own series).**" in tab.note.object
    assert "median rank" in tab.note.object and "another stretch of the same attractor" in tab.protocol.object
    shown = tab.table.value.set_index("system")
    assert sorted(shown.index) == ["Lorenz", "Rossler", "Thomas"]
    assert shown.loc["Lorenz", "ESN (paper)"] == 70.0 and shown.loc["Lorenz", "NBEATS"] == 30.0
    assert "median rank" in tab.models.object and "Kalman" in set(tab.models.object.model)


def test_without_the_published_folder_the_tab_says_where_it_looked(monkeypatch, tmp_path):
    from dashboards.published import PublishedBenchmark

    monkeypatch.setenv("CHAOSLAB_GILPIN2023", str(tmp_path))
    tab = PublishedBenchmark()
    tab.prepare()
    note = tab.note.object.replace("\\", "")  # as the Markdown reads, escapes gone
    assert "the lab's own columns only" in note and "set CHAOSLAB_GILPIN2023" in note
    assert "NBEATS" not in tab.table.value and len(tab.table.value) == 131


def _long_rows():
    from core.forecasting import long_horizon

    rows = []
    for k, system in enumerate(["Lorenz", "Rossler", "Thomas"]):
        for family, level in (("nvar", 0.01), ("analog", 0.2)):
            curve = np.minimum(level * np.exp(long_horizon.GRID[:80 + 10 * k] / 4), np.sqrt(2))
            vpt = float(long_horizon.GRID[np.argmax(curve > 0.5)])
            rows.append({"system": system, "family": family, "curve": curve.astype(np.float32), "vpt": vpt,
                         "horizon": 40.0 + 5 * k, "valid_to_end": False, "blew_up": False, "smape": 50.0})
    return pd.DataFrame(rows)


def test_the_long_horizon_sub_tab_draws_each_familys_median_error_against_the_horizon():
    from dashboards.long_horizon import CEILING, LongHorizons

    tab = LongHorizons(_long_rows())
    tab.prepare()
    lines = tab.lines.data
    assert lines["family"] == ["nvar", "analog"]  # best median VPT first
    assert all(len(x) == len(y) for x, y in zip(lines["xs"], lines["ys"])) and max(lines["ys"][1]) <= CEILING
    assert lines["xs"][0][-1] == 40.0 and tab.plot.x_range.end == 40.0  # every system reaches 40 Λt
    summary = tab.summary.object
    assert list(summary.family) == ["nvar", "analog"] and "median VPT (Λt)" in summary and "error at 10 Λt" in summary
    assert "**3 chaotic flows × 2 families.**" in tab.note.object and "**nvar**" in tab.note.object
    empty = LongHorizons(_long_rows().iloc[:0])
    empty.prepare()
    assert "python -m benchmarks.long_horizon --ship" in empty.note.object and not len(empty.lines.data["xs"])
