"""Protocol conformance of every registered family, on small data so the suite stays fast."""

import threading

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.errors import ForecastError, Stopped
from core.forecasting.families import registry

# small but non-default settings so every family fits in well under a second
TINY_TORCH = {"epochs": 2, "hidden": 8, "window": 5, "batch": 128}
TINY_TRANSFORMER = {"epochs": 1, "context": 32, "patch": 8, "d_model": 16, "heads": 2, "layers": 1, "batch": 64}
SMALL = {"esn": {"units": 60, "warmup": 20}, "edmd": {"degree": 2}, "analog": {"delays": 2},
         "neural_ode": TINY_TORCH, "lstm": TINY_TORCH, "gru": TINY_TORCH,
         "shplrnn": {**TINY_TORCH, "latent": 5, "window": 20}, "alrnn": {k: v for k, v in TINY_TORCH.items() if k != "hidden"}
         | {"latent": 6, "relus": 2}, "transformer": TINY_TRANSFORMER, "transformer_multi": TINY_TRANSFORMER,
         "auto": {"budget": 1.2}}
TORCH_FAMILIES = ["neural_ode", "lstm", "gru", "shplrnn", "alrnn", "transformer", "transformer_multi"]


@pytest.fixture(scope="module")
def lorenz_data():
    return integrate.trajectory(systems.get("Lorenz"), n=1500, dt=0.01, transient=500).x


@pytest.fixture(scope="module")
def henon_data():
    return integrate.trajectory(systems.get("Henon"), n=1500, transient=100).x


def test_registry_lists_the_families_of_this_issue():
    assert {"nvar", "esn", "dmd", "edmd", "sindy", "analog", "ar", "persistence", "mean"} <= set(registry.names())
    with pytest.raises(KeyError, match="nvar"):
        registry.create("nvarr")


@pytest.mark.parametrize("name", registry.names())
def test_fit_predict_shapes_and_save_load_round_trip(name, lorenz_data, tmp_path):
    model = registry.create(name, **SMALL.get(name, {}))
    seen = []
    model.fit(lorenz_data[:1200], 0.01, progress=lambda f, info: seen.append(f))
    assert seen and seen[-1] == 1.0
    context = lorenz_data[:1300]
    forecast = model.predict(context, 50)
    assert forecast.shape == (50, 3) and np.all(np.isfinite(forecast))
    model.save(tmp_path / "m.npz")
    again = registry.load(tmp_path / "m.npz")
    np.testing.assert_allclose(again.predict(context, 50), forecast, rtol=1e-12, atol=1e-12)
    assert model.describe()


@pytest.mark.parametrize("name", registry.names())
def test_works_for_a_one_dimensional_series_and_a_map(name, henon_data):
    extra = {"discrete_time": True} if name == "sindy" else {}  # a map is not a flow
    model = registry.create(name, **SMALL.get(name, {}), **extra)
    model.fit(henon_data[:1000, :1], 1.0)
    assert model.predict(henon_data[:1100, :1], 5).shape == (5, 1)


def test_every_family_handles_ten_dimensions():
    data = integrate.trajectory(systems.get("Lorenz96N", N=10), n=1200, dt=0.02, transient=200).x
    for name in registry.names():
        model = registry.create(name, **SMALL.get(name, {}))
        model.fit(data[:1000], 0.02)
        assert model.predict(data[:1100], 10).shape == (10, 10), name


@pytest.mark.parametrize("name", ["esn", "nvar", "edmd"])
def test_stop_is_honoured(name, lorenz_data):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        registry.create(name, **SMALL.get(name, {})).fit(lorenz_data, 0.01, stop=stop)


def test_bad_shapes_and_values_are_rejected(lorenz_data):
    model = registry.create("nvar")
    with pytest.raises(ForecastError, match="shape"):
        model.fit(np.zeros((10, 3, 2)), 0.01)
    with pytest.raises(ForecastError, match="NaN"):
        model.fit(np.full((100, 3), np.nan), 0.01)
    with pytest.raises(ForecastError, match="fit the model"):
        model.predict(lorenz_data, 5)
    model.fit(lorenz_data, 0.01)
    with pytest.raises(ForecastError, match="coordinates"):
        model.predict(lorenz_data[:, :2], 5)
    with pytest.raises(ValueError, match="between"):
        registry.create("esn", units=-3)
    with pytest.raises(ValueError, match="no hyper-parameter"):
        registry.create("nvar", delay=2)


def test_a_rollout_that_blows_up_is_reported(lorenz_data):
    model = registry.create("dmd").fit(lorenz_data, 0.01)
    model.operator_ = model.operator_ * 3.0  # an unstable linear map
    with pytest.raises(ForecastError, match="blew up after"):
        model.predict(lorenz_data, 200)


def test_schema_describes_each_hyper_parameter():
    schema = registry.schema("esn")
    assert schema["spectral_radius"].kind is float and schema["units"].bounds == (10, 5000)


def test_sindy_recovers_lorenz():
    # Brunton et al. (2016): from clean data SINDy finds the Lorenz equations
    lorenz = systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3)
    data = integrate.trajectory(lorenz, n=10_000, dt=0.01, transient=1000).x
    model = registry.create("sindy").fit(data, 0.01)
    xi = dict(zip(["1", "x0", "x1", "x2", "x0^2", "x0 x1", "x0 x2", "x1^2", "x1 x2", "x2^2"], model.coefficients_.T))
    assert xi["x0"][0] == pytest.approx(-10, rel=0.05) and xi["x1"][0] == pytest.approx(10, rel=0.05)
    assert xi["x0"][1] == pytest.approx(28, rel=0.05) and xi["x0 x2"][1] == pytest.approx(-1, rel=0.05)
    assert xi["x2"][2] == pytest.approx(-8 / 3, rel=0.05) and xi["x0 x1"][2] == pytest.approx(1, rel=0.05)
    assert model.equations()[0].startswith("dx0/dt = ")


def test_registry_lists_the_torch_families():
    assert set(TORCH_FAMILIES) <= set(registry.names())
    assert all(registry.family(name).is_iterative for name in TORCH_FAMILIES)


@pytest.mark.parametrize("name", TORCH_FAMILIES)
def test_torch_families_stop_cleanly_with_the_best_weights(name, lorenz_data):
    stop = threading.Event()
    model = registry.create(name, **{**SMALL[name], "epochs": 50})
    seen = []

    def progress(fraction, info):
        seen.append(info)
        stop.set()  # ask to stop after the first epoch

    model.fit(lorenz_data, 0.01, progress=progress, stop=stop)
    assert len(model.loss_history_) == 1 and seen[0]["epoch"] == 1 and "val_loss" in seen[0]
    assert model.best_epoch_ == 1
    assert model.predict(lorenz_data, 5).shape == (5, 3)


@pytest.mark.parametrize("name", TORCH_FAMILIES)
def test_a_snapshot_of_the_best_checkpoint_forecasts_while_training_goes_on(name, lorenz_data):
    model = registry.create(name, **{**SMALL[name], "epochs": 2})
    snapshots = []
    model.fit(lorenz_data, 0.01, progress=lambda f, info: info and snapshots.append(model.snapshot()))
    first = snapshots[0]
    assert first is not None and first.best_epoch_ >= 1 and first is not model
    assert np.all(np.isfinite(first.predict(lorenz_data, 20)))
    assert model.module_ is not first.module_  # the running model is not touched


def test_a_nan_loss_is_refused_with_a_message(lorenz_data):
    import torch

    model = registry.create("gru", **TINY_TORCH)
    model._loss = lambda module, windows: torch.tensor(float("nan"), requires_grad=True)  # a diverged loss
    with pytest.raises(ForecastError, match="NaN at epoch 1; lower the learning rate"):
        model.fit(lorenz_data, 0.01)


def test_the_echo_state_network_is_the_same_network_every_time_for_one_seed(lorenz_data):
    """ARPACK's own random start made the spectral radius, and so a chaotic forecast, differ in its
    last bits between calls and processes; the sweep's rows must repeat exactly."""
    first, second = (registry.create("esn", units=200, seed=3) for _ in range(2))
    for model in (first, second):
        model.fit(lorenz_data[:1200], 0.01)
    assert (first.reservoir_ != second.reservoir_).nnz == 0
    context = lorenz_data[:1300]
    np.testing.assert_array_equal(first.predict(context, 200), second.predict(context, 200))
