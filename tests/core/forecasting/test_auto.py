"""The "auto" model choice: several families tuned on the training series, the best validation
score taken, reproducible by seed, a clear refusal of a budget too small, a stable final fit."""

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.errors import BlowUp
from core.forecasting import auto, tuning
from core.forecasting.families import registry


@pytest.fixture(scope="module")
def series():
    lorenz = systems.get("Lorenz")
    x = integrate.trajectory(lorenz, n=1400, dt=lorenz.period / 100, transient=2000).x[:, :1]
    return x[:1200], x[1200:], lorenz.period / 100


def test_auto_takes_the_best_validation_score_and_says_why(series):
    train, _, dt = series
    choice = auto.choose(train, dt, budget=120, families=("nvar", "analog"), n_trials=4, **tuning.holdout(1200, 200))
    scores = choice.scores
    assert set(scores) == {"nvar", "analog"} and choice.family == next(iter(scores))
    assert scores[choice.family] == max(scores.values())
    assert choice.reason.startswith(f"{choice.family}: validation score {scores[choice.family]:.2f}")
    other = "analog" if choice.family == "nvar" else "nvar"
    assert f"against {other} {scores[other]:.2f}" in choice.reason
    assert choice.model.fitted_ and choice.model.predict(train, 50).shape == (50, 1)


def test_auto_is_reproducible_by_seed(series):
    train, _, dt = series
    runs = [auto.choose(train, dt, budget=120, families=("nvar", "parroting"), n_trials=4, seed=5) for _ in range(2)]
    assert runs[0].family == runs[1].family and runs[0].scores == runs[1].scores
    assert runs[0].tuned[runs[0].family].params == runs[1].tuned[runs[1].family].params


def test_auto_refuses_a_budget_too_small_for_its_families_and_bad_data(series):
    train, _, dt = series
    with pytest.raises(tuning.TuningError, match=r"auto tunes 4 families .* at least 1\.2 s \(0\.3 s each\), got 1"):
        auto.choose(train, dt, budget=1)
    with pytest.raises(KeyError):
        auto.choose(train, dt, budget=10, families=("nvar", "no such family"))
    bad = train.copy()
    bad[7] = np.nan
    with pytest.raises(tuning.TuningError, match="NaN or infinite"):
        auto.choose(bad, dt, budget=10)


def test_the_final_fit_falls_back_on_a_family_whose_free_run_holds(series, monkeypatch):
    train, _, dt = series
    choice = auto.choose(train, dt, budget=120, families=("nvar", "analog"), n_trials=3)
    family, model, note = choice.fit(train, dt)
    assert family == choice.family and note == ""
    first = choice.family
    unstable = registry.family(first)

    def blow_up(self, context, horizon):
        raise BlowUp("unstable", 3, np.zeros((3, 1)))

    monkeypatch.setattr(unstable, "predict", blow_up)
    family, model, note = choice.fit(train, dt)
    assert family != first and note == f"{family}, not {first}: the {first} fit's free run blew up"
    assert model.predict(train, 20).shape == (20, 1)
