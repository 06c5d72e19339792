"""Nearest-neighbour analogues: simplex projection on a delay embedding (empirical dynamic modelling).

Lorenz (1969), J. Atmos. Sci. 26:636 (analogues); Sugihara & May (1990), Nature 344:734 (simplex
projection). The next state is the exp(-d/d_min)-weighted mean of what followed the E+1 nearest
past analogues of the current delay vector.

Time-aware defaults (``Analog.defaults``): a state of three or more coordinates is already an
embedding (one delay); fewer coordinates need 3 − dim + 1 delayed copies. The delay vector should
span about a quarter of the dominant period — the usual first guess for an embedding delay, near
the first zero of the autocorrelation — so the lag is period / (4 (delays − 1)) steps; maps: lag 1.
A forecast replays stored successors, so its free run says nothing about the model's own exponent
(``replays_data``).
"""

import numpy as np
from scipy.spatial import cKDTree

from core.forecasting.families.ar import lagged
from core.forecasting.families.base import Forecaster, Hyper, Search, Timescales


class Analog(Forecaster):
    name = "analog"
    summary = "Nearest-neighbour analogues (simplex projection)"
    reference = "Lorenz (1969); Sugihara & May (1990), Nature 344:734"
    replays_data = True
    hyper = {
        "delays": Hyper(int, 1, (1, 20), "delay vectors of this many states (3+ for a scalar series)"),
        "lag": Hyper(int, 1, (1, 1000), "steps between delayed states (a quarter period in all)"),
        "neighbours": Hyper(int, 0, (0, 100), "analogues averaged (0: embedding dimension + 1)"),
    }

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        delays = max(1, 4 - ts.dim)
        if ts.discrete or delays == 1:
            return {"delays": delays, "lag": 1}
        return {"delays": delays, "lag": ts.steps(ts.period / (4 * (delays - 1)), 1, 1000)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"delays": Search(1, 5), "lag": Search(1, 1 if ts.discrete else ts.steps(ts.period / 4, 2, 1000), log=True),
                "neighbours": Search(0, 16)}

    @property
    def min_context(self):
        return (self.delays - 1) * self.lag + 1

    def _fit(self, z, dt, progress, stop):
        embedded = lagged(z, self.delays, self.lag)
        span = (self.delays - 1) * self.lag
        self.library_ = embedded[:-1]
        self.successors_ = z[span + 1 :]

    def _predict(self, zc, horizon):
        tree = cKDTree(self.library_)
        k = self.neighbours or self.library_.shape[1] + 1
        span = (self.delays - 1) * self.lag
        buffer = np.vstack([zc[-(span + 1) :], np.empty((horizon, zc.shape[1]))])
        for step in range(horizon):
            t = span + step
            query = buffer[t - np.arange(self.delays) * self.lag].ravel()
            dist, idx = tree.query(query, k=list(range(1, k + 1)))  # arrays, also for k = 1
            weights = np.exp(-dist / max(dist[0], 1e-12))
            buffer[t + 1] = weights @ self.successors_[idx] / weights.sum()
        return buffer[span + 1 :]
