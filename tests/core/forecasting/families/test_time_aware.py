"""Time-aware defaults, search spaces, one copy of the hyper-parameters, declared capabilities,
and context parroting (Zhang & Gilpin 2025)."""

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, metrics
from core.forecasting import experiment
from core.forecasting.families import registry
from core.forecasting.families.base import Search, Timescales
from core.forecasting.families.parroting import best_match, joined

LORENZ = Timescales(dt=0.01, period=1.5, lyapunov_time=1.1)
CATALOG = Timescales(dt=0.015, period=1.5, lyapunov_time=1.1)
FINE = Timescales(dt=0.0015, period=1.5, lyapunov_time=1.1)
MAP = Timescales(dt=1.0, period=1.0, lyapunov_time=2.4, dim=2, discrete=True)


def test_time_meaning_hyper_parameters_follow_the_sampling_step():
    # NVAR: states ~period/60 apart (Gauthier et al.'s 0.025 on Lorenz); one iterate for a map
    assert [registry.defaults("nvar", ts)["skip"] for ts in (LORENZ, CATALOG, FINE, MAP)] == [2, 2, 17, 1]
    # ESN: leak 75 dt / period (0.5 on Lorenz at dt = 0.01), warm-up one period, no leak for maps
    esn = [registry.defaults("esn", ts) for ts in (LORENZ, FINE, MAP)]
    assert esn[0]["leak"] == pytest.approx(0.5) and esn[1]["leak"] == pytest.approx(0.075) and esn[2]["leak"] == 1.0
    assert esn[0]["warmup"] == 150 and esn[1]["warmup"] == 1000
    # windows and patches span the same stretch of time whatever the step
    assert registry.defaults("neural_ode", LORENZ)["window"] == 20 and registry.defaults("neural_ode", FINE)["window"] == 133
    transformer = registry.defaults("transformer", FINE)
    assert transformer["patch"] == 100 and transformer["context"] % transformer["patch"] == 0
    assert registry.defaults("parroting", CATALOG)["motif"] == 10 and registry.defaults("parroting", MAP)["motif"] == 3
    assert registry.defaults("sindy", MAP)["discrete_time"] is True and registry.defaults("sindy", LORENZ)["threshold"] == pytest.approx(0.1)
    assert registry.defaults("analog", Timescales(0.01, 1.5, 1.1, dim=1)) == {**registry.defaults("analog"),
                                                                                "delays": 3, "lag": 19}


def test_every_family_builds_from_its_time_aware_defaults_and_searches_within_its_bounds():
    for name in registry.names():
        cls = registry.family(name)
        for ts in (LORENZ, FINE, MAP):
            model = registry.create(name, ts)  # the defaults pass the family's own validation
            for key, spec in cls.search_space(ts).items():
                assert isinstance(spec, Search) and key in cls.hyper, (name, key)
                if spec.choices is None:
                    cls.hyper[key].check(key, cls.hyper[key].kind(spec.low))
                    cls.hyper[key].check(key, cls.hyper[key].kind(spec.high))
            assert model.hparams.keys() == cls.hyper.keys()


def test_explicit_hyper_parameters_win_over_time_aware_defaults():
    assert registry.create("nvar", FINE, skip=3).skip == 3


def test_hyper_parameters_are_stored_once(tmp_path):
    data = integrate.trajectory(systems.get("Lorenz"), n=1500, dt=0.01).x
    model = registry.create("nvar").fit(data, 0.01)
    model.ridge = 1e-3  # an attribute set after construction is what is saved and reloaded
    assert model.hparams["ridge"] == 1e-3
    model.save(tmp_path / "m.npz")
    assert registry.load(tmp_path / "m.npz").ridge == 1e-3


def test_capabilities_are_declared_on_the_class():
    assert registry.family("analog").replays_data and registry.family("parroting").replays_data
    assert not registry.family("nvar").replays_data
    assert registry.family("lstm").is_iterative and not registry.family("esn").is_iterative
    data = integrate.trajectory(systems.get("Lorenz"), n=1500, dt=0.01).x
    nvar = registry.create("nvar").fit(data, 0.01)
    assert nvar.equations() == [] and nvar.notes(data) == [] and nvar.snapshot() is None
    assert registry.create("sindy").fit(data, 0.01).equations()[0].startswith("dx0/dt")


def test_best_match_finds_where_the_motif_happened_before():
    rng = np.random.default_rng(0)
    memory = rng.standard_normal((500, 2))
    motif = memory[100:110] + 1e-6
    assert best_match(memory, motif) == 110  # what followed the stretch 100..109
    periodic = np.tile(np.arange(10.0)[:, None], (30, 1))
    assert best_match(periodic, periodic[-4:]) % 10 == 0  # never its own end, always a real repeat


def test_parroting_repeats_a_periodic_orbit_exactly_and_forecasts_chaos_for_a_while():
    t = np.arange(3000) * 0.05
    circle = np.stack([np.sin(t), np.cos(t)], axis=1)
    model = registry.create("parroting", motif=5, memory="context").fit(circle[:2000], 0.05)
    forecast = model.predict(circle[2000:2400], 500)
    np.testing.assert_allclose(forecast, circle[2400:2900], atol=1e-2)  # a period is ~126 steps: several repeats
    split = experiment.make_split(experiment.ForecastTask(systems.get("Lorenz"), dt=0.01, windows=3, free_run=1))
    parrot = registry.create("parroting", split.timescales).fit(split.train, split.dt)
    assert experiment.score_forecast(parrot, split).vpt > 1  # about 2.7 Λt on 20 windows (benchmarks/forecast.py)


def test_parroting_forecasts_from_the_end_of_its_own_training_data_as_from_new_data():
    """The published benchmarks forecast from the end of the series the model was fitted on: a
    context that repeats the training series' end is not appended twice (the end would match the
    context's last states, and the forecast jump back to the context's start)."""
    x = integrate.trajectory(systems.get("Lorenz"), n=1400, dt=0.01, transient=1000).x
    head, truth = x[:1000], x[1000:]
    model = registry.create("parroting", motif=10).fit(head, 0.01)
    scale = head.std(axis=0)
    for context in (head, head[-200:], x[700:1000]):  # the whole series, its tail, a piece ending with it
        first = metrics.error_growth(truth[:5], model.predict(context, 5), scale)
        assert first.max() < 0.2, first  # (appended twice: about 1.0 from the first step)
    library = np.arange(12.0)[:, None]
    assert np.array_equal(joined(library, library[-4:]), library)
    assert np.array_equal(joined(library, np.arange(9.0, 15.0)[:, None]), np.arange(15.0)[:, None])
    assert len(joined(library, np.arange(20.0, 24.0)[:, None])) == 16  # new data: appended whole


def test_parroting_needs_a_motif_and_something_to_match_it_against():
    model = registry.create("parroting", motif=50, memory="context").fit(np.zeros((200, 1)) + np.arange(200)[:, None], 1.0)
    assert model.min_context == 101
    with pytest.raises(Exception, match="at least 101"):
        model.predict(np.arange(80.0)[:, None], 5)
