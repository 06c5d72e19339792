"""The published dysts univariate benchmark beside the lab's own rerun: the comparison's
arithmetic, the published folder read where it is (and a clear message where it is not), and the
lab's shipped results."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.forecasting import published

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gilpin2023"  # invented numbers, the real format


def _lab(rows):
    return pd.DataFrame([{"system": s, "granularity": g, "family": f, "smape": v, "blew_up": False,
                          "chosen": c} for s, g, f, v, c in rows])


LAB = _lab([("A", 100, "auto", 10.0, "nvar"), ("A", 100, "nvar", 10.0, ""), ("A", 100, "esn", 30.0, ""),
            ("B", 100, "auto", 50.0, "esn"), ("B", 100, "nvar", 80.0, ""), ("B", 100, "esn", 50.0, ""),
            ("C", 100, "auto", 5.0, "nvar"), ("C", 100, "nvar", 5.0, ""), ("C", 100, "esn", 9.0, ""),
            ("A", 15, "auto", 99.0, "esn")])
TABLE = {"A": {"NBEATSModel": 20.0, "ARIMA": 5.0}, "B": {"NBEATSModel": 60.0, "ARIMA": 40.0},
         "D": {"NBEATSModel": 1.0, "ARIMA": 1.0}}  # D: the lab did not run it; C: the paper did not


def test_the_comparison_is_on_the_systems_both_scored_with_winners_and_shares():
    view = published.compare(LAB, TABLE, 100)
    systems = view.systems.set_index("system")
    assert list(systems.index) == ["A", "B"]
    assert list(systems.columns[:3]) == ["auto", "nvar", "esn"] and systems.loc["A", "auto chose"] == "nvar"
    assert {"NBEATS", "ARIMA"} <= set(systems.columns)  # the paper's names: darts's NBEATSModel is its NBEATS
    assert systems.loc["A", "best published"] == "ARIMA" and systems.loc["A", "its sMAPE"] == 5.0
    assert list(systems.winner) == ["ARIMA", "ARIMA"]
    assert view.auto["beats_nbeats"] == 1.0 and view.auto["beats_best"] == 0.0  # 10 < 20, 50 < 60; 10 > 5, 50 > 40
    assert view.auto["auto_median"] == 30.0 and view.auto["nbeats_median"] == 40.0 and view.auto["blow_ups"] == 0
    models = view.models.set_index("model")
    assert list(models.source) == ["lab"] * 3 + ["published"] * 2
    assert models.loc["ARIMA", "median sMAPE"] == 22.5 and models.loc["ARIMA", "auto beats it on"] == 0.0
    assert models.loc["esn", "auto beats it on"] == 0.5 and np.isnan(models.loc["auto", "auto beats it on"])
    assert models.loc["ARIMA", "wins"] == 2
    assert len(view.rows) == 2 * 5 and set(view.rows.source) == {"lab", "published"}


def test_without_the_published_table_the_lab_stands_alone():
    view = published.compare(LAB, {}, 100)
    assert list(view.systems.system) == ["A", "B", "C"] and "best published" not in view.systems
    assert np.isnan(view.auto["beats_best"]) and view.auto["auto_median"] == 10.0
    assert list(published.compare(LAB, TABLE, 15).systems.system) == ["A"]


def test_the_published_folder_is_read_where_it_is_and_missing_is_a_message(monkeypatch, tmp_path):
    monkeypatch.setenv("CHAOSLAB_GILPIN2023", str(FIXTURE))
    assert published.published(100)["Lorenz"] == {"NBEATSModel": 40.0, "ARIMA": 90.0, "RNNModel": 60.0}
    assert published.published(15)["Rossler"]["NBEATSModel"] == pytest.approx(8.0)
    with pytest.raises(ValueError, match="100 and 15 points per period, not 50"):
        published.published(50)
    monkeypatch.setenv("CHAOSLAB_GILPIN2023", str(tmp_path))
    with pytest.raises(published.PublishedDataMissing, match="set CHAOSLAB_GILPIN2023"):
        published.published(100)
    assert published.short_name("RNNModel") == "LSTM" and published.short_name("TCNModel") == "TCN"


def test_the_labs_shipped_results_cover_the_benchmark_at_both_granularities():
    lab = published.lab_results()
    for granularity, systems in ((100, 131), (15, 130)):  # dysts's own PiecewiseCircuit at 15 holds NaN
        rows = lab[lab.granularity == granularity]
        auto = rows[rows.family == "auto"]
        assert auto.system.nunique() == 131 and auto.smape.notna().sum() >= systems
        assert set(auto.chosen.dropna()) <= {"nvar", "esn", "parroting", "analog"}
        assert auto.smape.between(0, 200).all() or auto.smape.isna().any()
        assert set(rows.family) == set(published.LAB_FAMILIES)


def test_shipping_one_granularity_keeps_the_other(tmp_path):
    from benchmarks import univariate

    path = tmp_path / "lab.csv"
    univariate.ship([{"system": "A", "granularity": 100, "family": "auto", "smape": 1.5, "blew_up": False}], 100,
                    path)
    univariate.ship([{"system": "A", "granularity": 15, "family": "auto", "smape": 2.5, "blew_up": True}], 15, path)
    univariate.ship([{"system": "B", "granularity": 15, "family": "auto", "smape": 3.5, "blew_up": False}], 15, path)
    lab = published.lab_results(path)
    assert sorted(zip(lab.system, lab.granularity, lab.smape)) == [("A", 100, 1.5), ("B", 15, 3.5)]


def test_each_models_median_rank_among_every_model_shown():
    models = published.compare(LAB, TABLE, 100).models.set_index("model")
    # A: ARIMA 5 first, auto 10 and nvar 10 share 2.5, NBEATS 20 fourth, esn 30 fifth
    # B: ARIMA 40 first, auto 50 and esn 50 share 2.5, NBEATS 60 fourth, nvar 80 fifth
    assert models.loc["ARIMA", "median rank"] == 1.0 and models.loc["auto", "median rank"] == 2.5
    assert models.loc["nvar", "median rank"] == 3.75 and models.loc["NBEATS", "median rank"] == 4.0


def test_the_multivariate_table_keeps_the_papers_own_runs_at_the_full_training_set(monkeypatch):
    monkeypatch.setenv("CHAOSLAB_GILPIN2023", str(FIXTURE))
    table = published.published_multivariate()
    assert table["Lorenz"] == {"ESN (paper)": 70.0, "NVAR (paper)": 80.0, "NBEATSModel": 30.0,
                               "KalmanForecaster": 150.0}  # the results file's ESN, not the sweep's; 1000 points
    assert "NVAR (paper)" not in table["Rossler"]  # a missing score is not a zero
    lab = _lab([(s, 100, f, v, "nvar" if f == "auto" else "") for s, f, v in
                [("Lorenz", "auto", 10.0), ("Lorenz", "nvar", 10.0), ("Rossler", "auto", 20.0),
                 ("Rossler", "nvar", 25.0), ("Thomas", "auto", 55.0), ("Thomas", "nvar", 70.0)]])
    view = published.compare(lab, table, 100)
    assert view.auto["beats_nbeats"] == pytest.approx(1 / 3) and view.auto["nbeats_median"] == 30.0
    ranks = view.models.set_index("model")["median rank"]
    assert ranks["auto"] == 2.0 and ranks["Kalman"] == 6.0  # Thomas: auto 2nd of six, after NBEATS


def test_the_labs_multivariate_rows_cover_the_published_systems():
    lab = published.lab_results(published.MULTIVARIATE_RESULTS)
    auto = lab[lab.family == "auto"]
    assert auto.system.nunique() >= 125 and auto.smape.notna().sum() >= 120
    assert set(lab.family) == set(published.LAB_FAMILIES) and auto.smape.dropna().between(0, 200).all()
