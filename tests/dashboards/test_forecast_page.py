"""The forecast tab's logic without a browser: bad hyper-parameters and a diverging loss give a
message, and the models already shown stay."""

import re

import holoviews as hv
import pytest

from core.forecasting.families import registry
from core.forecasting.store import ModelStore
from dashboards.forecast import ForecastDashboard
from dashboards.selection import Selection

hv.extension("bokeh")


@pytest.fixture
def page(tmp_path):
    dashboard = ForecastDashboard(Selection(), store=ModelStore(tmp_path))
    dashboard.main()
    dashboard.sel.model = "nvar"
    dashboard.request(load_only=False)  # a first model, which must survive what follows
    assert "nvar on Lorenz" in dashboard.outcome.summary.object
    return dashboard


def test_a_hyper_parameter_out_of_range_is_a_message_and_the_previous_model_stays(page):
    page.sel.model = "neural_ode"
    page.settings.widgets["epochs"].value = 0
    page.request(load_only=False)
    assert page.message.visible and "epochs must be between 1 and 10000, got 0" in page.message.object
    assert "nvar on Lorenz" in page.outcome.summary.object and len(page.comparison.results) == 1


def test_a_nan_loss_is_a_message_and_the_previous_model_stays(page, monkeypatch):
    import torch

    original = registry.create

    def diverging(name, timescales=None, **hparams):
        model = original(name, timescales, **hparams)
        model._loss = lambda module, windows: torch.tensor(float("nan"), requires_grad=True)
        return model

    monkeypatch.setattr(registry, "create", diverging)
    page.sel.model = "gru"
    page.settings.widgets["epochs"].value = 2
    page.request(load_only=False)
    assert page.message.visible and "the loss became NaN at epoch 1; lower the learning rate" in page.message.object
    assert "nvar on Lorenz" in page.outcome.summary.object and len(page.comparison.results) == 1


def test_plrnn_and_alrnn_show_latent_size_and_subregions(page):
    page.sel.model = "alrnn"
    for name, value in {"epochs": 2, "window": 20, "latent": 6, "relus": 3}.items():
        page.settings.widgets[name].value = value
    page.request(load_only=False)
    assert "alrnn on Lorenz" in page.outcome.summary.object, page.message.object
    assert "Latent dimension 6 (3 observed + 3 hidden)" in page.outcome.about.object
    assert "linear sub-regions" in page.outcome.about.object and "of 8 linear" in page.outcome.about.object
    assert len(page.comparison.results) == 2 and list(page.comparison.table.value["model"]) != []


def test_auto_tune_fills_the_widgets_records_provenance_and_load_reproduces_it(tmp_path):
    page = ForecastDashboard(Selection(system="Rucklidge"), store=ModelStore(tmp_path))
    page.main()
    assert page.sel.auto_tune and not page.training.loss_box.visible  # classical: tuned by default, no epoch plot
    page.sel.budget = 1.0
    page.request(load_only=False)
    assert "nvar on Rucklidge" in page.outcome.summary.object, page.message.object
    assert "tuned:" in page.outcome.summary.object and "the lab's spectrum" in page.outcome.summary.object
    tuned = page.shown.tuning
    assert tuned["trials"] >= 1 and page.training.trials_box.visible
    assert {k: page.settings.widgets[k].value for k in tuned["params"]} == tuned["params"]
    record = page.store.load(page.shown.split.spec("nvar", tuned["params"]))
    assert record is not None and record.provenance["tuning"]["params"] == tuned["params"]
    vpt = page.shown.short.vpt
    assert vpt > 1  # Rucklidge: the defaults of the Lorenz era blew up after 70 steps
    page.sel.auto_tune = False
    page.request(load_only=True)  # the widgets now hold the tuned values: Load finds that model
    assert "loaded from the store" in page.outcome.summary.object and page.shown.short.vpt == vpt


def test_a_result_says_when_it_belongs_to_another_system(page):
    assert not page.stale.visible
    page.sel.system = "Thomas"
    assert page.stale.visible and "belongs to Lorenz" in page.stale.object
    page.sel.system = "Lorenz"
    assert not page.stale.visible


def test_time_aware_defaults_follow_the_system(page):
    page.sel.model = "esn"
    lorenz_leak = page.settings.widgets["leak"].value
    page.sel.system = "Henon"
    assert page.settings.widgets["leak"].value == 1.0 != lorenz_leak  # a map: no leak


def test_a_blow_up_says_how_long_the_forecast_stayed_valid(page, monkeypatch):
    page.sel.model = "dmd"
    page.sel.auto_tune = False
    original = registry.create

    def unstable(name, *args, **hparams):
        model = original(name, *args, **hparams)
        fit = model._fit

        def fit_then_break(z, dt, progress, stop):
            fit(z, dt, progress, stop)
            model.operator_ = model.operator_ * 1.05

        model._fit = fit_then_break
        return model

    monkeypatch.setattr(registry, "create", unstable)
    page.request(load_only=False)
    assert "dmd on Lorenz" in page.outcome.summary.object and "blew up after" in page.outcome.summary.object
    assert "it was valid until then" in page.outcome.summary.object


def test_both_attractors_are_shaded_images_that_re_aggregate_on_zoom(page):
    truth, free = page.outcome.attractor_views["truth"], page.outcome.attractor_views["free"]
    for view in (truth, free):
        image = view.source.data["image"][0]
        assert image.dtype.name == "uint8" and (image != 0).any()
    assert free.figure.title.text == "nvar: free run of 10000 steps"
    assert truth._extent == free._extent  # one pair of axes for both
    x0, x1, y0, y1 = truth._extent
    zoomed = []
    truth._zoom((x0, (x0 + x1) / 2, y0, y1), zoomed.append)
    assert zoomed and zoomed[0].extent == (x0, (x0 + x1) / 2, y0, y1) and (zoomed[0].index != 0).any()
    grid = page.comparison.panes[0][1].object  # the session's models, small: the same kind of image
    assert grid.title.text.startswith("nvar (VPT")


def test_hyper_parameters_live_in_the_shared_state(tmp_path):
    # a link carries them: the page opens with them, and what the user sets goes back
    selection = Selection(model="esn", auto_tune=False, hparams={"units": 300, "bogus": 1})
    page = ForecastDashboard(selection, store=ModelStore(tmp_path), linked=frozenset({"model", "hparams"}))
    assert page.settings.widgets["units"].value == 300  # an unknown name is ignored
    assert not selection.auto_tune  # the link's, not the family's default
    page.settings.widgets["spectral_radius"].value = 0.7
    assert selection.hparams["spectral_radius"] == 0.7 and selection.hparams["units"] == 300
    selection.model = "nvar"  # another family: its own defaults
    assert "units" not in selection.hparams and "units" not in page.settings.widgets


def test_the_family_sets_its_own_tuning_defaults_and_a_leaderboard_configuration_is_taken_as_it_is():
    from dashboards.forecast_settings import DEFAULT_BUDGET, ModelSettings

    selection = Selection(system="Lorenz")
    settings = ModelSettings(sel=selection)
    selection.model = "gru"  # iterative: not tuned by default, a longer budget
    assert not selection.auto_tune and selection.budget == DEFAULT_BUDGET[True]
    assert not any(w.disabled for w in settings.widgets.values())
    selection.model = "esn"  # classical and tunable: tuned by default, the widgets show the search's choice
    assert selection.auto_tune and selection.budget == DEFAULT_BUDGET[False]
    assert all(w.disabled for w in settings.widgets.values())
    settings.show_configuration("nvar", {"ridge": 1e-4})  # a leaderboard cell: reproduced, not re-tuned
    assert selection.model == "nvar" and not selection.auto_tune
    assert settings.widgets["ridge"].value == 1e-4 and settings.hparams()["ridge"] == 1e-4
    settings.widgets["ridge"].value = -1.0
    with pytest.raises(ValueError):
        settings.hparams()


def test_the_models_own_spectrum_stands_beside_the_truths(page):
    note = page.outcome.long_note.object
    assert "The model's own dynamics, from its Jacobian along 5000 steps of its free run: λ = (0." in note
    truth_in_note = re.search(r"Jacobian: analytic; the truth's: \(([-\d.e]+), ", note)
    assert truth_in_note and float(truth_in_note.group(1)) == pytest.approx(0.9056, rel=0.01)  # Sprott
    row = page.comparison.table.value.iloc[0]
    own = [float(v) for v in row["spectrum (model's own)"].split(", ")]
    assert own[0] == pytest.approx(0.906, rel=0.1) and abs(own[1]) < 0.02  # Lorenz: λ1, and the zero exponent
    assert float(row["spectrum (truth)"].split(", ")[0]) == pytest.approx(0.9056, rel=0.01)


def test_model_auto_chooses_says_why_and_loads_its_choice(tmp_path):
    page = ForecastDashboard(Selection(system="Lorenz", n_train=3000), store=ModelStore(tmp_path))
    page.main()
    assert page.settings.tuning_row.visible
    page.sel.model = "auto"
    # auto tunes by itself: its budget and candidates are its hyper-parameters, no second switch
    assert not page.settings.tuning_row.visible and not page.sel.auto_tune
    assert set(page.settings.widgets) == {"budget", "families", "seed"}
    assert page.settings.hyper_box.objects[0].object.startswith("**auto**: Auto: tunes several families")
    page.settings.widgets["budget"].value = 1.2
    page.settings.widgets["families"].value = "nvar, esn"
    page.request(load_only=False)
    chosen = re.search(r"auto → (\w+) on Lorenz", page.outcome.summary.object)
    assert chosen and chosen.group(1) in ("nvar", "esn"), page.message.object
    assert f"Auto chose {chosen.group(1)}: validation score" in page.outcome.about.object
    assert page.comparison.table.value["model"].tolist() == [f"auto → {chosen.group(1)}"]
    vpt = page.shown.short.vpt
    page.request(load_only=True)  # the same settings: the stored choice, not a new search
    assert "loaded from the store" in page.outcome.summary.object and page.shown.short.vpt == vpt
    page.sel.model = "nvar"
    assert page.settings.tuning_row.visible and page.sel.auto_tune
