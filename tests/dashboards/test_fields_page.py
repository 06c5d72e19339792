"""The Fields tab without a browser: a space–time image, settings refused with a message, the
λ–ω field's frames stepped, and a spectrum beside the literature's."""

import threading

import numpy as np
import pytest

from core.errors import Stopped
from core.pictures import fields as pictures
from core.runtime.jobs import local_context
from core.systems import fields
from dashboards.fields import FieldsDashboard
from dashboards.selection import Selection


def test_kuramoto_sivashinsky_draws_its_space_time_and_refuses_a_bad_grid():
    selection = Selection(tab="fields")
    tab = FieldsDashboard(selection)
    assert tab.picture is None  # hidden: nothing computed
    tab.active = True
    image = tab.space_time.source.data["image"][0]
    assert image.dtype.name == "uint8" and image.shape == (64, 760) and (image != 0).all()
    assert tab.space_time_box.visible and not tab.frames_box.visible
    assert "2000 snapshots every 0.25" in tab.note.object and "Kuramoto" in tab.about.object
    tab.inputs["grid"].value = 63
    assert tab.message.visible and "must be even" in tab.message.object
    assert tab.space_time.source.data["image"][0] is image  # the last picture kept
    assert selection.field_settings == {"grid": 63}  # what the user typed is kept, and shared by URL
    tab.inputs["grid"].value = 128
    assert not tab.message.visible and tab.space_time.source.data["image"][0].shape == (128, 760)
    tab.inputs["step"].value = 5.0
    assert tab.message.visible and "explicit" in tab.message.object


def test_the_rd_spiral_steps_frame_by_frame_and_lorenz96_draws_its_sites():
    selection = Selection(tab="fields", field="LambdaOmega")
    tab = FieldsDashboard(selection, active=True)
    assert tab.frames_box.visible and not tab.space_time_box.visible
    first = tab.frame_view.source.data["image"][0]
    assert first.shape == (64, 64) and tab.note.object.startswith("t = 0.00")
    tab.step_button.clicks += 1
    assert tab.frame == 1 and "frame 2 of 200" in tab.note.object
    assert not np.array_equal(tab.frame_view.source.data["image"][0], first)
    tab.field_select.value = "Lorenz96"
    assert selection.field == "Lorenz96" and selection.field_settings == {}
    assert tab.space_time_box.visible and tab.space_time.figure.yaxis[0].axis_label == "site i"
    assert tab.space_time.source.data["image"][0].shape == (40, 600)
    assert set(tab.inputs) == {"F", "grid", "step", "dt"}


def test_the_leading_exponents_beside_the_published_value():
    selection = Selection(tab="fields", field="KuramotoSivashinsky")
    tab = FieldsDashboard(selection, active=True)
    tab.averaging.value = 6000.0
    tab.spectrum_button.clicks += 1
    note = tab.spectrum_note.object
    assert "λ1 … λ6" in note and "Kaplan–Yorke dimension 4." in note
    assert "Published λ1 0.048" in note and "Cvitanović" in note
    lam1 = float(note.split("= (")[1].split(",")[0])
    assert abs(lam1 / 0.048 - 1) < 0.1 and "over 6000 time units" in note
    tab.inputs["length"].value = 30.0
    tab.averaging.value = 200.0
    tab.spectrum_button.clicks += 1
    assert "No published value" in tab.spectrum_note.object


def test_a_forecast_by_parallel_reservoirs_beside_the_truth():
    selection = Selection(tab="fields", field="KuramotoSivashinsky")
    tab = FieldsDashboard(selection, active=True)
    assert tab.forecast_box.visible
    tab.train_steps.value, tab.horizon.value, tab.units.value = 8000, 400, 400
    tab.forecast_button.clicks += 1
    note = tab.forecast_note.object
    assert "Lyapunov times (λ1 = 0.048)" in note and "8 reservoirs of 400 units" in note
    assert float(note.split("**")[1].split()[0]) > 0.5
    for name in ("truth", "forecast", "forecast − truth"):
        image = tab.forecast_views[name].source.data["image"][0]
        assert image.shape == (64, 400) and (image != 0).all()
    tab.field_select.value = "LambdaOmega"  # 2-D: no forecast yet, said by hiding it
    assert not tab.forecast_box.visible and tab.forecast_note.object == ""


def test_a_run_replaced_by_a_newer_request_stops_without_a_picture():
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped, match="stopped after"):
        pictures.field_picture(fields.get("KuramotoSivashinsky"), 500, job=local_context(stop=stop))
    with pytest.raises(Stopped):
        pictures.field_spectrum(fields.get("KuramotoSivashinsky"), 2, 500.0, job=local_context(stop=stop))
    with pytest.raises(Stopped):
        pictures.field_forecast(fields.get("KuramotoSivashinsky"), 2000, 100, 50, job=local_context(stop=stop))


def test_a_shared_link_with_text_for_a_number_shows_the_default_and_the_refusal():
    selection = Selection(tab="fields", field="KuramotoSivashinsky", field_settings={"length": "abc", "grid": 63.5})
    tab = FieldsDashboard(selection, active=True)
    assert tab.inputs["length"].value == 22.0 and tab.inputs["grid"].value == 64
    assert tab.message.visible and "Not drawn" in tab.message.object  # the link's values are refused, not hidden
