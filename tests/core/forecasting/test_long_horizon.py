"""The long-horizon setting (train 1000, forecast 5000): a forecast read against its horizon in
Lyapunov times, the per-family summary and median curves, the benchmark on one system, and the
shipped table."""

import numpy as np
import pandas as pd
import pytest

from benchmarks import long_horizon as bench
from core.forecasting import long_horizon


def _truth(n=400, dim=2):
    t = np.arange(n) * 0.05
    return np.stack([np.sin(t + k) for k in range(dim)], axis=1)


def test_a_perfect_forecast_is_valid_to_its_end_and_its_horizon_is_counted_in_lyapunov_times():
    truth = _truth()
    row = long_horizon.score(truth, truth, truth.copy(), dt=0.05, lam=2.0)  # a step is 0.1 Lyapunov times
    assert row["horizon"] == pytest.approx(40.0) and row["vpt"] == pytest.approx(40.0) and row["valid_to_end"]
    assert row["smape"] == 0 and len(row["curve"]) == 80 and not row["curve"].any()  # GRID 0.5 … 40


def test_the_vpt_is_read_where_the_error_first_crosses_the_threshold_and_a_blow_up_is_infinite():
    truth = _truth()
    scale = truth.std(axis=0)
    drift = truth + np.linspace(0, 2, len(truth))[:, None] * scale  # the normalised error grows linearly to 2
    row = long_horizon.score(truth, truth, drift, dt=0.05, lam=2.0)
    crossing = np.flatnonzero(np.linspace(0, 2, len(truth)) > 0.5)[0]
    assert row["vpt"] == pytest.approx(crossing * 0.1) and not row["valid_to_end"]
    assert np.all(np.diff(row["curve"]) >= 0) and row["curve"][-1] == pytest.approx(2.0, rel=0.01)
    blown = long_horizon.score(truth, truth, truth[:100], dt=0.05, lam=2.0)  # finite for 100 steps (10 Λt)
    assert blown["vpt"] == pytest.approx(10.0) and blown["smape"] == pytest.approx(150.0)
    assert np.isfinite(blown["curve"][:20]).all() and np.isinf(blown["curve"][20:]).all()
    with pytest.raises(ValueError, match="positive"):
        long_horizon.score(truth, truth, truth, dt=0.05, lam=0.0)


def _row(system, family, curve, vpt, horizon, blew_up=False):
    return {"system": system, "family": family, "curve": np.asarray(curve, np.float32), "vpt": vpt,
            "horizon": horizon, "valid_to_end": vpt >= horizon, "blew_up": blew_up, "smape": 10.0}


def test_the_summary_and_median_curves_count_each_system_where_its_forecast_reaches():
    short, long_ = np.full(20, 0.1), np.full(60, 1.0)  # 10 and 30 Lyapunov times
    frame = pd.DataFrame([_row("A", "nvar", short, 10.0, 10.0), _row("B", "nvar", long_, 0.5, 30.0),
                          _row("A", "esn", np.r_[np.full(10, 0.2), np.full(10, np.inf)], 5.0, 10.0, blew_up=True),
                          {"system": "B", "family": "esn", "error": "ValueError: no"}])
    summary = long_horizon.summary(frame).set_index("family")
    assert list(summary.index) == ["nvar", "esn"]  # best median VPT first
    assert summary.loc["nvar", "median_horizon"] == 20 and summary.loc["nvar", "valid_to_end"] == 0.5
    assert summary.loc["nvar", "error_at_1"] == pytest.approx(0.55) and summary.loc["nvar", "error_at_30"] == 1.0
    assert summary.loc["esn", "blow_ups"] == 1 and summary.loc["esn", "errors"] == 1
    curves = long_horizon.median_curves(frame, min_systems=2)
    t, median = curves["nvar"]
    assert t[-1] == 10.0 and np.allclose(median, 0.55)  # both systems reach 10 Λt; past it one would be too few
    t, median = curves["esn"]
    assert np.isinf(median[-1]) and median[0] == pytest.approx(0.2)  # a blow-up raises the median, never drops out


def test_the_benchmark_on_one_flow_scores_every_family_and_auto_against_the_horizon():
    from core import systems

    rows = bench.run_one("Lorenz", ["nvar", "analog"], 0.5, 0)
    dt = systems.get("Lorenz").dt  # 100 points per period
    assert [r["family"] for r in rows] == ["nvar", "analog", "auto"]
    for row in rows:
        assert "error" not in row, row
        assert row["horizon"] == pytest.approx(5000 * dt * row["lambda_max"]) and 60 < row["horizon"] < 75
        assert 0 <= row["vpt"] <= row["horizon"] and len(row["curve"]) == int(row["horizon"] / 0.5)
    assert max(r["vpt"] for r in rows) > 2  # at least one family forecasts Lorenz for a few Lyapunov times
    table = long_horizon.summary(pd.DataFrame(rows))
    assert set(table.family) == {"nvar", "analog", "auto"} and table.systems.eq(1).all()


def test_the_shipped_table_covers_the_chaotic_flows_for_each_family():
    frame = long_horizon.read()
    if not len(frame):
        pytest.skip("no long-horizon table shipped")
    from core import systems
    from core.forecasting import sweep

    flows = {n for n in sweep.chaotic_systems() if systems.get(n).kind == "flow"}
    assert set(frame.system) == flows
    assert {"auto", "nvar", "esn"} <= set(frame.family)
    summary = long_horizon.summary(frame)
    assert (summary.median_horizon > 10).all() and summary.errors.sum() < len(frame) / 10
