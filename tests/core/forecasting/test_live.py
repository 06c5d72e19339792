"""The Forecast tab's job (core.forecasting.live.run) without a page: the short term published first,
then the free run; a stored model loads as it was; a tuned one says how; Stop is a message."""

import threading

import pytest

from core import systems
from core.errors import Stopped
from core.forecasting import experiment, live
from core.runtime import jobs

TASK = experiment.ForecastTask(systems.get("Lorenz"), n_train=3000, windows=2, free_run=3000)


def run(request):
    published = []
    outcome = live.run(request, job=jobs.local_context(publish=published.append))
    return outcome, published


def test_the_short_term_comes_first_then_the_free_run_and_the_model_is_stored(tmp_path):
    request = live.ForecastRequest(TASK, "nvar", {}, store=str(tmp_path))
    outcome, published = run(request)
    assert published[0].long is None and published[0].short.vpt == outcome.short.vpt  # the quick part first
    assert outcome.long is not None and outcome.images["truth"] is not None and outcome.images["free"] is not None
    assert outcome.source.startswith("trained in") and outcome.short.vpt > 0.5 and not outcome.tuning
    row = outcome.row()
    assert row["model"] == "nvar" and row["system"] == "Lorenz" and row["tuned"] == "no"
    again, _ = run(live.ForecastRequest(TASK, "nvar", {}, load_only=True,
                                              store=str(tmp_path)))
    assert again.source == "loaded from the store" and again.short.vpt == pytest.approx(outcome.short.vpt)


def test_load_without_a_stored_model_says_to_train_first(tmp_path):
    with pytest.raises(ValueError, match="train it first"):
        run(live.ForecastRequest(TASK, "nvar", {"delays": 3}, load_only=True, store=str(tmp_path)))


def test_auto_tune_refits_the_chosen_configuration_and_records_the_search(tmp_path):
    outcome, _ = run(live.ForecastRequest(TASK, "nvar", {}, tune_budget=1.0, store=str(tmp_path)))
    assert "refitted on the whole training series" in outcome.source and "tuned:" in outcome.source
    assert outcome.tuning["trials"] >= 1 and outcome.fit_time > 0 and outcome.row()["tuned"] == "yes"
    remembered, _ = run(live.ForecastRequest(TASK, "nvar", {}, tune_budget=1.0, store=str(tmp_path)))
    assert remembered.source.startswith("loaded from the store")  # the search is not run again
    assert remembered.tuning["params"] == outcome.tuning["params"]


def test_a_fit_stopped_before_it_learned_anything_is_a_message(tmp_path):
    stop = threading.Event()
    stop.set()
    request = live.ForecastRequest(TASK, "esn", {}, store=str(tmp_path))
    with pytest.raises(Stopped, match="the previous models are kept"):
        live.run(request, job=jobs.local_context(stop=stop))
