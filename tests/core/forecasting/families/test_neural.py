"""What is particular to the neural families: GTF's α schedule, PLRNN latent units and AL-RNN
sub-regions, the patched transformer's patches, the multi-system model and its zero-shot use."""

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.forecasting.families import registry
from core.forecasting.families.base import ForecastError
from tests.core.forecasting.families.test_protocol import SMALL, TINY_TRANSFORMER


@pytest.fixture(scope="module")
def lorenz():
    return integrate.trajectory(systems.get("Lorenz"), n=1500, dt=0.01, transient=500).x


def test_gtf_anneals_alpha_from_start_to_end(lorenz):
    alphas = []
    model = registry.create("shplrnn", **{**SMALL["shplrnn"], "epochs": 4, "alpha_start": 0.8, "alpha_end": 0.1})
    model.fit(lorenz, 0.01, progress=lambda f, info: info and alphas.append(model.alpha_))
    assert alphas[0] == pytest.approx(0.8) and alphas[-1] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(alphas, alphas[1:]))  # geometric decay


def test_plrnn_latent_dimension_is_at_least_the_data_dimension(lorenz):
    model = registry.create("shplrnn", **{**SMALL["shplrnn"], "latent": 1}).fit(lorenz, 0.01)
    assert model.module_.A.shape == (3,)  # latent raised to the three observed coordinates
    model = registry.create("shplrnn", **SMALL["shplrnn"]).fit(lorenz, 0.01)
    assert model.latent_trajectory(lorenz, 7).shape == (7, 5)
    assert "latent dimension 5" in model.describe()


def test_alrnn_has_only_p_relus_and_counts_the_subregions_it_visits(lorenz):
    import torch

    model = registry.create("alrnn", **SMALL["alrnn"]).fit(lorenz, 0.01)
    z = torch.linspace(-1, 1, 6, dtype=torch.float32)[None].repeat(2, 1)
    z[1] = -z[1]
    phi = model.module_.phi(z)
    assert torch.equal(phi[:, :4], z[:, :4]) and torch.equal(phi[:, 4:], torch.relu(z[:, 4:]))  # 6 − 2 linear units
    assert torch.all(torch.diagonal(model.module_.W * model.module_.offdiag) == 0)
    regions = model.subregions(lorenz, 2000)
    assert 1 <= regions["visited"] <= regions["possible"] == 4
    assert sum(regions["shares"].values()) == pytest.approx(1.0)
    assert all(len(code) == 2 for code in regions["shares"])


def test_transformer_checks_its_shape_hyper_parameters():
    with pytest.raises(ValueError, match="multiple of patch"):
        registry.create("transformer", context=30, patch=8)
    with pytest.raises(ValueError, match="divisible by heads"):
        registry.create("transformer", d_model=18, heads=4)


def test_transformer_needs_its_full_context(lorenz):
    model = registry.create("transformer", **TINY_TRANSFORMER).fit(lorenz, 0.01)
    with pytest.raises(ForecastError, match="at least 32 points"):
        model.predict(lorenz[:20], 5)
    assert model.predict(lorenz, 13).shape == (13, 3)  # horizons that are not a whole number of patches


def test_multi_system_transformer_trains_on_systems_of_different_dimensions_and_forecasts_any(tmp_path):
    series = [integrate.trajectory(systems.get(name), n=600, transient=200).x for name in ("Rossler", "Hadley")]
    series.append(integrate.trajectory(systems.get("Lorenz96N", N=4), n=600, dt=0.05, transient=200).x)
    model = registry.create("transformer_multi", **TINY_TRANSFORMER)
    model.fit_many(series, [0.01] * 3, names=["Rossler", "Hadley", "Lorenz96N"], held_out=["Lorenz"])
    model.save(tmp_path / "multi.npz")
    again = registry.load(tmp_path / "multi.npz")
    assert list(again.trained_on_) == ["Rossler", "Hadley", "Lorenz96N"] and list(again.held_out_) == ["Lorenz"]
    unseen = integrate.trajectory(systems.get("Lorenz"), n=100, transient=200).x
    forecast = again.predict(unseen, 16)  # zero-shot: standardised by its own context
    assert forecast.shape == (16, 3) and np.all(np.isfinite(forecast))
    np.testing.assert_allclose(forecast, model.predict(unseen, 16), rtol=1e-6)
    assert again.predict(unseen[:, :2], 8).shape == (8, 2)  # any dimension
