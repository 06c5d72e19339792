"""The forecast tab's logic without a browser: bad hyper-parameters and a diverging loss give a
message, and the models already shown stay."""

import holoviews as hv
import pytest

from core.forecasters import registry
from core.store import ModelStore
from dashboards.forecast import ForecastDashboard
from dashboards.selection import Selection

hv.extension("bokeh")


@pytest.fixture
def page(tmp_path):
    dashboard = ForecastDashboard(Selection(), store=ModelStore(tmp_path))
    dashboard.main()
    dashboard.family = "nvar"
    dashboard.request(load_only=False)  # a first model, which must survive what follows
    assert "nvar on Lorenz" in dashboard.summary.object
    return dashboard


def test_a_hyper_parameter_out_of_range_is_a_message_and_the_previous_model_stays(page):
    page.family = "neural_ode"
    page._hyper_widgets["epochs"].value = 0
    page.request(load_only=False)
    assert page.message.visible and "epochs must be between 1 and 10000, got 0" in page.message.object
    assert "nvar on Lorenz" in page.summary.object and len(page.results) == 1


def test_a_nan_loss_is_a_message_and_the_previous_model_stays(page, monkeypatch):
    import torch

    original = registry.create

    def diverging(name, **hparams):
        model = original(name, **hparams)
        model._loss = lambda module, windows: torch.tensor(float("nan"), requires_grad=True)
        return model

    monkeypatch.setattr(registry, "create", diverging)
    page.family = "gru"
    page._hyper_widgets["epochs"].value = 2
    page.request(load_only=False)
    assert page.message.visible and "the loss became NaN at epoch 1; lower the learning rate" in page.message.object
    assert "nvar on Lorenz" in page.summary.object and len(page.results) == 1


def test_plrnn_and_alrnn_show_latent_size_and_subregions(page):
    page.family = "alrnn"
    for name, value in {"epochs": 2, "window": 20, "latent": 6, "relus": 3}.items():
        page._hyper_widgets[name].value = value
    page.request(load_only=False)
    assert "alrnn on Lorenz" in page.summary.object, page.message.object
    assert "Latent dimension 6 (3 observed + 3 hidden)" in page.about.object
    assert "linear sub-regions" in page.about.object and "of 8 linear" in page.about.object
    assert len(page.results) == 2 and list(page.table.value["model"]) != []
