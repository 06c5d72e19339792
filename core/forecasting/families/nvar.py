"""Next-generation reservoir computing (NVAR): delayed states, their monomials, ridge.

Gauthier, Bollt, Griffith & Barbosa (2021), Next generation reservoir computing, Nat. Commun.
12:5564. Features at time t: a constant, the linear part ``[x_t, x_{t-s}, ..., x_{t-(k-1)s}]``
and all unique monomials of it up to ``order`` (quadratic for Lorenz, cubic as Gauthier et al.
use for the double-scroll circuit, whose nonlinearity is odd); the readout predicts the
increment x_{t+1} - x_t. ``tune`` chooses the order per system (cubic wins on Chua-like circuits,
Duffing, FitzHugh–Nagumo and Hindmarsh–Rose neurons).

Time-aware defaults (``NVAR.defaults``): the delayed states must be far enough apart in *time*
to carry derivative information, and close enough that two of them still describe the same
stretch of orbit. Gauthier et al. use k = 2 states 0.025 time units apart on Lorenz, about 1/60
of its dominant period (1.5): the spacing is s = period / (60 dt) steps, at least 1 — two steps
at the lab's dt = 0.01 on Lorenz (VPT 8.7 there against 6.3 with s = 1), two at the catalog's
period/100 sampling, twenty at period/1000. Maps: s = 1 (an iterate is the natural step).
"""

import itertools
import math

import numpy as np
from numba import njit

from core.forecasting.families.ar import lagged
from core.forecasting.families.base import (Forecaster, ForecastError, FreeRunMap, Hyper, Search, Timescales,
                                           check_stop, ridge)

MAX_FEATURES = 2000  # a readout wider than this is slow to fit and overfits 10^4 points


def monomials(linear: np.ndarray, order: int) -> np.ndarray:
    """Every unique monomial of the columns of degree 2..``order``, degree by degree, indices ascending."""
    columns = []
    for degree in range(2, order + 1):
        for combo in itertools.combinations_with_replacement(range(linear.shape[1]), degree):
            columns.append(np.prod(linear[:, list(combo)], axis=1))
    return np.stack(columns, axis=1) if columns else np.zeros((len(linear), 0))


def n_features(n_linear: int, order: int) -> int:
    return sum(math.comb(n_linear + d - 1, d) for d in range(order + 1))


class NVAR(Forecaster):
    name = "nvar"
    summary = "Next-generation reservoir computer (NVAR)"
    reference = "Gauthier et al. (2021), Nat. Commun. 12:5564"
    hyper = {
        "delays": Hyper(int, 2, (1, 10), "k: number of delayed states"),
        "skip": Hyper(int, 2, (1, 200), "s: steps between delayed states (time-aware: period / 60)"),
        "ridge": Hyper(float, 1e-6, (0.0, 1e2), "ridge penalty"),
        "order": Hyper(int, 2, (1, 3), "largest monomial degree (2: Gauthier et al.'s quadratic NVAR; 1: linear "
                       "features only, a linear autoregression, the last resort of a free run that must hold)"),
    }

    @classmethod
    def plainest(cls, ts: Timescales) -> dict:
        return {"order": 1}

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        return {"skip": 1 if ts.discrete else ts.steps(ts.period / 60, 1, 200)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        skip = cls.defaults(ts)["skip"]
        return {"delays": Search(1, 4), "skip": Search(1, min(200, max(4, 4 * skip)), log=True),
                "ridge": Search(1e-9, 1e-1, log=True), "order": Search(2, 3)}

    @property
    def min_context(self):
        return (self.delays - 1) * self.skip + 1

    def _features(self, linear):
        return np.hstack([np.ones((len(linear), 1)), linear, monomials(linear, self.order)])

    def _fit(self, z, dt, progress, stop):
        width = n_features(self.delays * z.shape[1], self.order)
        if width > MAX_FEATURES:
            raise ForecastError(f"nvar: {width} features for {z.shape[1]} coordinates × {self.delays} delays at "
                                f"order {self.order}; at most {MAX_FEATURES}: lower delays or order")
        linear = lagged(z, self.delays, self.skip)[:-1]
        span = (self.delays - 1) * self.skip
        targets = z[span + 1 :] - z[span:-1]
        check_stop(stop)
        self.weights_ = ridge(self._features(linear), targets, self.ridge)

    def free_run_map(self, zc):
        """The rollout's state is its history buffer, the last ``span + 1`` points (oldest
        first); a step appends x_t + W·φ(x_t, x_{t-s}, …) and drops the oldest. The Jacobian is
        analytic: φ's linear part and the derivatives of its monomials, through the readout."""
        span, skip, dim = (self.delays - 1) * self.skip, self.skip, zc.shape[1]
        weights = np.asarray(self.weights_)
        n_lin = self.delays * dim
        pairs = (np.array(list(itertools.combinations_with_replacement(range(n_lin), 2))).T
                 if self.order >= 2 else np.zeros((2, 0), int))
        triples = (np.array(list(itertools.combinations_with_replacement(range(n_lin), 3))).T
                   if self.order == 3 else np.zeros((3, 0), int))
        newest = [span - j * skip for j in range(self.delays)]  # the linear features, newest first

        def step(state, V):
            buffer, tangent = state.reshape(span + 1, dim), V.reshape(span + 1, dim, V.shape[1])
            lin = buffer[newest].ravel()
            features = np.concatenate([[1.0], lin, lin[pairs[0]] * lin[pairs[1]],
                                       lin[triples[0]] * lin[triples[1]] * lin[triples[2]]])
            dlin = tangent[newest].reshape(n_lin, -1)
            a, b = pairs
            dfeatures = np.concatenate([
                np.zeros((1, dlin.shape[1])), dlin,
                lin[a, None] * dlin[b] + lin[b, None] * dlin[a],
                (lin[triples[1]] * lin[triples[2]])[:, None] * dlin[triples[0]]
                + (lin[triples[0]] * lin[triples[2]])[:, None] * dlin[triples[1]]
                + (lin[triples[0]] * lin[triples[1]])[:, None] * dlin[triples[2]]])
            new = buffer[span] + features @ weights
            dnew = tangent[span] + weights.T @ dfeatures
            return (np.concatenate([buffer[1:].ravel(), new]),
                    np.concatenate([tangent[1:].reshape(-1, V.shape[1]), dnew]))

        return FreeRunMap(np.ascontiguousarray(zc[-(span + 1):], dtype=float).ravel(), step, "analytic")

    def _predict(self, zc, horizon):
        span = (self.delays - 1) * self.skip
        return _rollout(np.ascontiguousarray(zc[-(span + 1) :]), np.ascontiguousarray(self.weights_),
                        int(self.delays), int(self.skip), int(self.order), int(horizon))


@njit(cache=True, nogil=True)
def _rollout(history, weights, delays, skip, order, horizon):
    """The NVAR free run, compiled: features [1, linear, monomials] in ``monomials``'s order."""
    dim = history.shape[1]
    span = (delays - 1) * skip
    buffer = np.empty((span + 1 + horizon, dim))
    buffer[: span + 1] = history
    n_lin = delays * dim
    features = np.empty(weights.shape[0])
    features[0] = 1.0
    for k in range(horizon):
        t = span + k
        for d in range(delays):
            features[1 + d * dim : 1 + (d + 1) * dim] = buffer[t - d * skip]
        q = 1 + n_lin
        if order >= 2:
            for i in range(n_lin):
                for j in range(i, n_lin):
                    features[q] = features[1 + i] * features[1 + j]
                    q += 1
        if order == 3:
            for i in range(n_lin):
                for j in range(i, n_lin):
                    for m in range(j, n_lin):
                        features[q] = features[1 + i] * features[1 + j] * features[1 + m]
                        q += 1
        buffer[t + 1] = buffer[t] + features @ weights
        if not np.all(np.isfinite(buffer[t + 1])):
            buffer[t + 1 :] = np.nan
            break
    return buffer[span + 1 :]
