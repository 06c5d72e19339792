"""A floor on skill: every family, at its defaults, forecasts Lorenz better than persistence.

Shapes and round trips (test_protocol) pass for a model that predicts the mean; this does not.
The classical families are fitted here at their time-aware defaults; the neural families are the
shipped checkpoints, which ``core.forecasting.pretrain`` trained at theirs (training them here would cost
minutes). The score is the mean valid prediction time over the ten test windows of the split
every shipped model is judged on.
"""

import pytest

from core import systems
from core.forecasting import experiment, pretrain
from core.forecasting.families import registry

BASELINES = {"persistence", "mean"}


@pytest.fixture(scope="module")
def split():
    return experiment.make_split(pretrain._task(systems.get("Lorenz")))


@pytest.fixture(scope="module")
def persistence(split):
    return experiment.score_forecast(registry.create("persistence").fit(split.train, split.dt), split).vpt


@pytest.mark.parametrize("name", [n for n in registry.names() if n not in BASELINES])
def test_each_family_beats_persistence_on_lorenz_at_its_defaults(name, split, persistence):
    family = registry.family(name)
    if family.is_iterative or family.any_dimension:
        model = pretrain.load(name, "Lorenz").model
    else:
        model = registry.create(name, timescales=split.timescales).fit(split.train, split.dt)
    vpt = experiment.score_forecast(model, split).vpt
    # persistence: about 0.11 Lyapunov times; the weakest family (linear DMD/AR): about 0.22
    assert vpt > 1.5 * persistence, f"{name}: VPT {vpt:.3f} vs persistence {persistence:.3f}"
