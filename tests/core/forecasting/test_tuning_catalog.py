"""Smoke test across the catalog: tuned forecasters do not blow up on a dozen varied flows and maps.

Fast settings (3000 training points, twelve tuning trials — a count, not seconds, so the test does
not depend on the machine — and three test windows); the full
comparison is benchmarks/catalog_forecast.py.
"""

import pytest

from core import systems
from core.forecasting import experiment, tuning

VARIED = ["Lorenz", "Rossler", "Rucklidge", "Halvorsen", "Aizawa", "Chen", "SprottB", "Arneodo",
          "Henon", "Logistic", "Ikeda", "Tinkerbell"]


# Ikeda's map is trigonometric: a quadratic NVAR cannot represent it and blows up whatever its
# settings (the README lists it); the reservoir can
BEYOND_NVAR = {"Ikeda"}


@pytest.mark.parametrize("name", VARIED)
def test_tuned_forecasters_do_not_blow_up(name):
    split = experiment.make_split(experiment.ForecastTask(systems.get(name), n_train=3000, windows=3, free_run=1))
    vpts = []
    for family in ("esn",) if name in BEYOND_NVAR else ("nvar", "esn"):
        result = tuning.tune(family, split.train, split.dt, budget=60, n_trials=12, timescales=split.timescales)
        scores = experiment.score_forecast(result.model, split)
        assert scores.blow_ups == 0, (family, result.params, [w.message for w in scores.windows])
        vpts.append(scores.vpt)
    assert max(vpts) > 1, vpts
