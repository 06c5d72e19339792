"""The "auto" model choice: several families tuned on the training series, the best validation
score taken, reproducible by seed, a clear refusal of a budget too small, a stable final fit."""

import dataclasses

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

    # when every family's free run blows up, the best is refitted more regularised until one holds
    nvar_predict = registry.family("nvar").predict
    monkeypatch.setattr(registry.family("nvar"), "predict", lambda self, context, steps: blow_up(self, context, steps)
                        if self.ridge < 1e-2 else nvar_predict(self, context, steps))
    only_nvar = dataclasses.replace(choice, tuned={"nvar": choice.tuned["nvar"]})
    family, model, note = only_nvar.fit(train, dt)
    assert family == "nvar" and model.ridge >= 1e-2 and model.predict(train, 20).shape == (20, 1)
    assert note.startswith("nvar: every family's free run blew up on these data; nvar's free run blew up "
                           "on these data: refitted with")


# -- "auto" as a family: the Forecast tab, the sweep and the store take it like any other ----------

LORENZ_TASK = dict(n_train=3000, windows=2, free_run=2000)


def test_auto_as_a_family_forecasts_with_its_choice_and_reloads_as_that_choice(series, tmp_path):
    train, test, dt = series
    model = registry.create("auto", budget=1.2, families="nvar, esn").fit(train, dt)
    assert model.chosen_ in ("nvar", "esn") and model.reason_.startswith(model.chosen_)
    assert set(model.scores_) <= {"nvar", "esn"} and model.trials_ >= 2 and model.tuning_seconds_ > 0
    assert model.chosen_model.hparams == model.chosen_params_  # the tuned configuration forecasts
    np.testing.assert_array_equal(model.predict(train, 30), model.chosen_model.predict(train, 30))
    assert model.notes(train)[0].startswith(f"Auto chose {model.chosen_}: validation score")
    model.save(tmp_path / "auto.npz")
    again = registry.load(tmp_path / "auto.npz")
    assert again.chosen_ == model.chosen_ and again.reason_ == model.reason_ and again.scores_ == model.scores_
    np.testing.assert_array_equal(again.predict(train, 30), model.predict(train, 30))


def test_auto_as_a_family_refuses_what_it_cannot_do_with_a_message(series):
    from core.errors import ForecastError, Stopped

    train, _, dt = series
    with pytest.raises(ForecastError, match="budget must be at least 1.2 s"):
        registry.create("auto", budget=0.5).fit(train, dt)
    with pytest.raises(ForecastError, match="could not tune any family"):
        registry.create("auto", budget=1.2).fit(train[:300], dt)  # too short for a validation split
    with pytest.raises(ForecastError, match="fit the model"):
        registry.create("auto").predict(train, 5)
    import threading

    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped, match="auto was stopped"):
        registry.create("auto", budget=1.2).fit(train, dt, stop=stop)


def test_the_experiment_gives_auto_each_familys_budget_and_the_tasks_own_time_scales(monkeypatch):
    from core.forecasting import experiment

    split = experiment.make_split(experiment.ForecastTask(systems.get("Lorenz"), **LORENZ_TASK))
    seen = {}
    real = auto.choose

    def spy(train, dt, budget, **options):
        seen.update(budget=budget, **options)
        return real(train, dt, budget, **options)

    monkeypatch.setattr(auto, "choose", spy)
    fitted = experiment.fit(split, "auto", budget=0.5, seed=3)
    assert seen["budget"] == pytest.approx(0.5 * 4)  # the default four candidates, 0.5 s each
    assert seen["timescales"] is split.timescales and seen["horizon"] == split.task.horizon
    assert fitted.note == fitted.model.reason_ and fitted.trials == fitted.model.trials_ >= 4
    assert fitted.search_seconds > 0 and fitted.fit_seconds == fitted.model.refit_seconds_
    assert fitted.hparams == {"budget": 2.0, "families": "nvar, esn, parroting, analog", "seed": 0}


def test_a_sweep_cell_of_auto_records_its_choice_and_its_whole_search():
    from core.forecasting import sweep

    row = sweep.run_cell(sweep.Cell("Lorenz", "auto", sweep.Setting(n_train=3000), budget=0.4, windows=2))
    assert row["status"] in (sweep.OK, sweep.BLOW_UP) and row["family"] == "auto"
    assert row["message"].split(":")[0] in ("nvar", "esn", "parroting", "analog")
    assert "validation score" in row["message"] and row["trials"] >= 4 and row["tuning_s"] > 1.0
    assert row["vpt"] > 0.5 and row["fit_s"] < row["tuning_s"]


def test_the_forecast_job_names_autos_choice_and_its_search(tmp_path):
    from core.forecasting import experiment, live
    from core.runtime import jobs

    task = experiment.ForecastTask(systems.get("Lorenz"), **LORENZ_TASK)
    request = live.ForecastRequest(task, "auto", {"budget": 1.2, "families": "nvar, esn", "seed": 0},
                                   store=str(tmp_path))
    outcome = live.run(request, job=jobs.local_context())
    chosen = outcome.family.removeprefix("auto → ")
    assert chosen in ("nvar", "esn") and outcome.row()["model"] == f"auto → {chosen}"
    assert "families in" in outcome.source and f"{chosen} refitted in" in outcome.source
    assert outcome.notes[0].startswith(f"Auto chose {chosen}")
    again = live.run(live.ForecastRequest(task, "auto", request.hparams, load_only=True, store=str(tmp_path)),
                     job=jobs.local_context())
    assert again.source == "loaded from the store" and again.family == outcome.family
    assert again.short.vpt == pytest.approx(outcome.short.vpt)
