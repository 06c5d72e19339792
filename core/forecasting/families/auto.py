""""auto": the lab's model choice as a family, so every part of the lab that takes a family takes it.

Fitting it runs ``core.forecasting.auto.choose`` on the training series: each candidate family
tuned within an equal share of ``budget`` on windows held out of that series, the best validation
score taken (never the test data), and that family's tuned model, refitted on the whole series,
is the one that forecasts. ``reason_`` says which family won and by how much; ``notes`` shows it
in the page. The Forecast tab (Model: auto), the sweep (``--families auto``) and the store treat it
like any other family: a stored auto model reloads as the family it chose, with that choice.

Its hyper-parameters are the choice's own — the budget, the candidates and the search's seed —
not the chosen family's, which the choice sets (``chosen_params_``).
"""

from __future__ import annotations

import json
import time

import numpy as np

from core.errors import Stopped
from core.forecasting.families.base import Forecaster, ForecastError, Hyper, Timescales

CANDIDATES = {  # the choices offered in the page, fast families first
    "nvar, esn, parroting, analog": ("nvar", "esn", "parroting", "analog"),
    "nvar, esn": ("nvar", "esn"),
    "nvar, esn, parroting, analog, sindy, edmd, ar": ("nvar", "esn", "parroting", "analog", "sindy", "edmd", "ar"),
}
INNER = "inner__"  # prefix of the chosen model's arrays in a saved auto model


class AutoForecaster(Forecaster):
    name = "auto"
    summary = ("Auto: tunes several families within one budget on windows held out of the training series and "
               "forecasts with the one whose validation score is best")
    reference = "the lab's model choice; its benchmark: Gilpin (2021), the dysts univariate benchmark"
    hyper = {
        "budget": Hyper(float, 6.0, (0.3, 3600.0), "seconds of tuning in all, shared equally by the candidates"),
        "families": Hyper(str, next(iter(CANDIDATES)), None, "the families the choice is made among",
                          choices=tuple(CANDIDATES)),
        "seed": Hyper(int, 0, (0, 2**31 - 1), "the search's seed (reproducible for a given number of trials)"),
    }

    def __init__(self, **hparams):
        super().__init__(**hparams)
        self._timescales: Timescales | None = None
        self._tune_options: dict = {}

    def for_task(self, timescales: Timescales | None = None, **tune_options) -> AutoForecaster:
        """The task's known time scales (the system's λ1 rather than one estimated from the series)
        and the tuning's options (``horizon``, ``eps`` of the task); returns self."""
        self._timescales, self._tune_options = timescales, dict(tune_options)
        return self

    # -- the choice ------------------------------------------------------------------------------
    def _fit(self, z, dt, progress, stop):
        """The choice, on the training series as given: ``z`` unstandardised again, since each
        candidate standardises its own data (and the chosen one forecasts with its own scaling)."""
        from core.forecasting import auto, tuning

        train = z * self.std_ + self.mean_
        families = CANDIDATES[self.families]
        started = time.perf_counter()
        try:
            choice = auto.choose(train, dt, self.budget, families=families, timescales=self._timescales,
                                 seed=self.seed, progress=progress, stop=stop, **self._tune_options)
        except tuning.TuningError as exc:
            if stop is not None and stop.is_set():
                raise Stopped("auto was stopped before any family was tuned") from None
            raise ForecastError(f"auto: {exc}") from None
        if stop is not None and stop.is_set():  # a choice cut short compared families on unequal terms
            raise Stopped("auto was stopped while it was choosing; no model was kept")
        self.tuning_seconds_ = time.perf_counter() - started
        self.chosen_ = choice.family
        self.chosen_params_ = dict(choice.tuned[choice.family].params)
        self.reason_ = choice.reason
        self.scores_ = choice.scores
        self.trials_ = sum(len(r.trials) for r in choice.tuned.values() if isinstance(r, tuning.TuningResult))
        self.refit_seconds_ = float(choice.tuned[choice.family].validation.get("refit_seconds", np.nan))
        self.model_ = choice.model

    @property
    def chosen_model(self) -> Forecaster:
        if not self.fitted_:
            raise ForecastError("auto: fit the model before asking what it chose")
        return self.model_

    # -- everything else is the chosen model's ---------------------------------------------------
    @property
    def min_context(self):
        return self.model_.min_context if self.fitted_ else 1

    @property
    def replays_data(self):
        return self.model_.replays_data if self.fitted_ else False

    def scaling(self, context):  # the chosen model's, so _predict below gets what it standardised for
        return self.chosen_model.scaling(context)

    def _predict(self, zc, horizon):
        return self.chosen_model._predict(zc, horizon)

    def free_run_map(self, zc):
        return self.chosen_model.free_run_map(zc)

    def notes(self, context) -> list[str]:
        if not self.fitted_:
            return []
        return [f"Auto chose {self.reason_}; {self.trials_} trials in {self.tuning_seconds_:.1f} s",
                *self.model_.notes(context)]

    def equations(self, names=None) -> list[str]:
        return self.chosen_model.equations(names) if self.fitted_ else []

    def describe(self) -> str:
        if not self.fitted_:
            return self.describe_family()
        return f"auto → {self.chosen_}: {self.model_.describe()}"

    # -- persistence: the choice and the chosen model's own arrays -------------------------------
    def state(self) -> dict[str, np.ndarray]:
        arrays = {"fitted_": np.asarray(self.fitted_), "dim_": np.asarray(self.dim_), "dt_": np.asarray(self.dt_),
                  "chosen_": np.asarray(self.chosen_), "reason_": np.asarray(self.reason_),
                  "chosen_params_": np.asarray(json.dumps(self.chosen_params_)),
                  "scores_": np.asarray(json.dumps(self.scores_)), "trials_": np.asarray(self.trials_),
                  "tuning_seconds_": np.asarray(self.tuning_seconds_),
                  "refit_seconds_": np.asarray(self.refit_seconds_)}
        return arrays | {INNER + k: v for k, v in self.model_.state().items()}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        from core.forecasting.families import registry

        inner = {k.removeprefix(INNER): v for k, v in arrays.items() if k.startswith(INNER)}
        super()._restore({k: v for k, v in arrays.items() if not k.startswith(INNER)})
        self.chosen_params_ = json.loads(self.chosen_params_)
        self.scores_ = json.loads(self.scores_)
        self.model_ = registry.create(self.chosen_, **self.chosen_params_)
        self.model_._restore(inner)
