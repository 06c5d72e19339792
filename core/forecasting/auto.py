"""The "auto" model choice: which model to use on this system, chosen on the training series alone.

    choice = choose(train, dt, budget=6.0)            # AutoChoice
    choice.family, choice.reason                      # "esn", "esn: validation score 3.1 Λt, …"
    choice.model.predict(context, steps)

Several families are tuned within one budget (``core.forecasting.tuning.tune``, an equal share each,
the same validation windows and seed for all) and the one with the best validation score is
taken: valid prediction time on windows held out of the training series, with an unstable free
run ranked below every stable one. The test data are never looked at, so the choice is one a
user could make before seeing them, and the number a benchmark may compare with published models
(Gilpin 2021 picked nothing per system: each of its 16 models was tuned and scored on its own).
The default families are the fast ones that won most often across the dysts univariate benchmark
(``benchmarks/univariate.py``): next-generation reservoir computing, the echo state network,
context parroting and nearest-neighbour analogues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.forecasting import tuning
from core.forecasting.families import registry
from core.forecasting.families.base import BlowUp, Forecaster, Timescales
from core.forecasting.tuning import TuningError, TuningResult

FAMILIES = ("nvar", "esn", "parroting", "analog")
MIN_BUDGET = 0.3  # seconds of tuning per family below which a choice means nothing


@dataclass(frozen=True)
class AutoChoice:
    """The chosen ``family`` and its ``model`` (the tuning's refit), every candidate's tuning
    (``tuned[family]``: a ``TuningResult``, or why that family could not be tuned) and the
    ``reason`` in words."""

    family: str
    model: Forecaster
    tuned: dict[str, TuningResult | str]
    reason: str

    @property
    def scores(self) -> dict[str, float]:
        """Each tuned family's validation score (Lyapunov times), best first."""
        scores = {f: r.score for f, r in self.tuned.items() if isinstance(r, TuningResult)}
        return dict(sorted(scores.items(), key=lambda kv: -kv[1]))

    def fit(self, train, dt: float, free_steps: int = 1000) -> tuple[str, Forecaster, str]:
        """The choice fitted on new data ``train`` (a benchmark fits on the head of each test
        series), checked by a free run of ``free_steps`` from its end. A fit whose free run blows up
        gives way to the next family by validation score whose fit holds; if none holds, the best
        is refitted more regularised until its free run holds (``tuning.fit_that_holds``). Returns
        the family, the fitted model and a note (empty when the first choice held)."""
        train = np.asarray(train, dtype=float)
        train = train[:, None] if train.ndim == 1 else train
        fitted = []
        for family in self.scores:
            model = registry.create(family, **self.tuned[family].params).fit(train, dt)
            try:
                model.predict(train, free_steps)
            except BlowUp:
                fitted.append((family, model))
                continue
            names = [f for f, _ in fitted]
            blew = (f"the {names[0]} fit's free run blew up" if len(names) == 1 else
                    f"the {', '.join(names[:-1])} and {names[-1]} fits' free runs blew up") if names else ""
            return family, model, "" if family == self.family else f"{family}, not {self.family}: {blew}"
        family = fitted[0][0]
        model, held = tuning.fit_that_holds(family, self.tuned[family].params, train, dt, free_steps)
        return family, model, f"{family}: every family's free run blew up on these data; {held}"


def choose(train, dt: float, budget: float = 6.0, *, families=FAMILIES, timescales: Timescales | None = None,
           seed: int = 0, progress=None, stop=None, **tune_options) -> AutoChoice:
    """Tune each of ``families`` on ``train`` (n, dim) with ``budget / len(families)`` seconds and
    take the best validation score. ``tune_options`` (validation split, windows, horizon…) are the
    same for every family, so their scores compare. ``progress(fraction, info)`` gets the overall
    fraction and ``info["family"]``. Raises ``TuningError`` for an unknown family, a budget below
    ``MIN_BUDGET`` per family, or when no family can be tuned."""
    families = tuple(families)
    if not families:
        raise TuningError("auto needs at least one family to choose from")
    for family in families:
        registry.family(family)  # an unknown name is refused before any work
    if not (isinstance(budget, (int, float)) and np.isfinite(budget)) or budget < MIN_BUDGET * len(families):
        raise TuningError(f"auto tunes {len(families)} families ({', '.join(families)}): its budget must be at "
                          f"least {MIN_BUDGET * len(families):g} s ({MIN_BUDGET:g} s each), got {budget!r}")
    train = np.asarray(train, dtype=float)
    train = train[:, None] if train.ndim == 1 else train
    if not np.all(np.isfinite(train)):
        raise TuningError("the training series holds NaN or infinite values: auto has nothing to choose on")
    ts = timescales or tuning.estimate_timescales(train, dt)
    share = budget / len(families)
    tuned: dict[str, TuningResult | str] = {}
    for k, family in enumerate(families):
        if stop is not None and stop.is_set() and tuned:
            break

        def report(fraction, info, k=k, family=family):
            if progress is not None:
                progress((k + fraction) / len(families), dict(info, family=family))

        try:
            tuned[family] = tuning.tune(family, train, dt, share, timescales=ts, seed=seed, progress=report,
                                        stop=stop, **tune_options)
        except TuningError as exc:
            tuned[family] = str(exc)
    results = {f: r for f, r in tuned.items() if isinstance(r, TuningResult)}
    if not results:
        raise TuningError("auto could not tune any family: " + "; ".join(f"{f}: {why}" for f, why in tuned.items()))
    best = max(results, key=lambda f: (results[f].score, -families.index(f)))  # ties: the order given
    others = [f"{f} {r.score:.2f}" for f, r in sorted(results.items(), key=lambda kv: -kv[1].score) if f != best]
    failed = [f"{f} ({why})" for f, why in tuned.items() if not isinstance(why, TuningResult)]
    reason = (f"{best}: validation score {results[best].score:.2f} Lyapunov times"
              + (f", against {', '.join(others)}" if others else "")
              + " (valid prediction time on windows held out of the training series; a free run that blows up "
                "ranks below every one that holds)"
              + (f"; not tuned: {', '.join(failed)}" if failed else ""))
    return AutoChoice(best, results[best].model, tuned, reason)
