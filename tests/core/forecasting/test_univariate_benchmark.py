"""benchmarks.univariate, in small: the protocol on two systems of the lab's own data, the test
series never seen by tuning, the comparison's arithmetic, and the published tables where present."""

import numpy as np
import pytest

from benchmarks import univariate
from core import systems
from core.dynamics import integrate
from core.forecasting import published, tuning

FAMILIES = ["nvar", "analog"]


def _series(name):
    """A train and a test series of the first coordinate, 12 periods at 100 points per period, from
    two initial conditions: the benchmark's shape."""
    system = systems.get(name)
    dt = system.period / 100
    train = integrate.trajectory(system, n=1200, dt=dt, transient=3000).x[:, 0]
    test = integrate.trajectory(system, n=1200, dt=dt, transient=5000).x[:, 0]
    return train, test, dt


@pytest.fixture(scope="module")
def rows():
    seen = []
    tune = tuning.tune

    def spy(family, train, *args, **kwargs):
        seen.append(np.asarray(train).ravel().copy())
        return tune(family, train, *args, **kwargs)

    data = {name: _series(name) for name in ("Lorenz", "Rossler")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning, "tune", spy)
        got = [row for name, s in data.items() for row in univariate.run_system(name, *s, 100, FAMILIES, 0.6, 0)]
    return got, seen, data


def test_two_systems_run_and_every_family_and_auto_is_scored(rows):
    got, _, _ = rows
    assert [(r["system"], r["family"]) for r in got] == [(s, f) for s in ("Lorenz", "Rossler") for f in (*FAMILIES, "auto")]
    for row in got:
        assert "error" not in row and 0 <= row["smape"] <= 200 and np.isfinite(row["validation"])
    for auto_row in (r for r in got if r["family"] == "auto"):
        assert auto_row["chosen"] in FAMILIES and not auto_row["blew_up"]


def test_the_test_series_is_never_seen_by_tuning(rows):
    _, seen, data = rows
    assert len(seen) == 2 * len(FAMILIES)
    for train, test, _ in data.values():
        assert any(np.array_equal(array, train) for array in seen)
    tested = {value for _, test, _ in data.values() for value in test}
    assert not any(value in tested for array in seen for value in array)


def test_the_summary_counts_wins_against_the_published_models(rows, capsys):
    got, _, _ = rows
    lab = {(r["system"], r["family"]): r["smape"] for r in got}
    table = {s: {"NBEATSModel": lab[(s, "auto")] + 1.0, "ARIMA": lab[(s, "auto")] - 1.0} for s in ("Lorenz", "Rossler")}
    figures = univariate.summary(got, table, FAMILIES)
    assert figures["auto"]["beats_nbeats"] == 1.0 and figures["auto"]["beats_best"] == 0.0
    assert figures["auto"]["beats_ARIMA"] == 0.0 and figures["auto"]["blow_ups"] == 0
    assert figures["auto"]["median"] == pytest.approx(np.median([lab[(s, "auto")] for s in table]))
    assert "auto chose:" in capsys.readouterr().out


def test_a_forecast_that_blew_up_scores_the_maximum_where_it_did_not_reach():
    truth = np.ones((10, 1))
    assert univariate.smape_with_blow_up(truth, np.ones((4, 1))) == pytest.approx(120.0)
    assert univariate.smape_with_blow_up(truth, np.ones((0, 1))) == 200.0


@pytest.mark.skipif(not (published.data_dir() / "derived").exists(),
                    reason="the published dysts benchmark (../shared/gilpin2023) is not beside this checkout")
def test_the_published_tables_load_and_match_their_readme():
    for granularity, nbeats in ((100, 67.7), (15, 50.6)):
        series, table = univariate.load_series(granularity), univariate.published(granularity)
        assert len(table) == 131 and len(series) >= 131
        assert np.median([t["NBEATSModel"] for t in table.values()]) == pytest.approx(nbeats, abs=0.05)
        train, test, dt = series["Lorenz"]
        assert len(train) == len(test) == 12 * granularity and dt > 0


def test_the_multivariate_rerun_scores_every_coordinate_on_the_labs_own_series():
    """benchmarks.multivariate: a train and a test series of every coordinate, 1200 points at 100
    per period, the test series further along the orbit; fitted on 1000, 200 forecast."""
    from benchmarks import multivariate

    train, test, dt = multivariate.series("Lorenz")
    assert train.shape == test.shape == (1200, 3) and dt == pytest.approx(systems.get("Lorenz").period / 100)
    assert not np.isin(test, train).any()
    got = multivariate.run_one("Lorenz", FAMILIES, 0.6, 0)
    assert [r["family"] for r in got] == [*FAMILIES, "auto"]
    for row in got:
        assert "error" not in row and 0 <= row["smape"] <= 200
    unknown = multivariate.run_one("NoSuchSystem", FAMILIES, 0.6, 0)  # a row per family saying why, not a crash
    assert len(unknown) == 3 and all("no system named 'NoSuchSystem'" in r["error"] for r in unknown)
