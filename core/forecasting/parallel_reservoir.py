"""Parallel local reservoirs for spatiotemporal chaos (Pathak, Hunt, Girvan, Lu & Ott 2018, PRL 120,
024102): the sites of a periodic 1-D field split into ``groups`` of contiguous sites; reservoir i
sees its group and ``overlap`` sites on either side and learns its own group's next step. In a
free run the groups' outputs are put together into the whole field, from which every reservoir
reads its neighbourhood again. Local interactions let many small reservoirs do what one would
need an enormous reservoir for, and the cost grows linearly with the domain.

The reservoirs share one sparse random adjacency (``degree`` non-zeros a row, scaled to
``spectral_radius``), each with its own input weights, every unit fed by one site of the
neighbourhood (Pathak et al.'s W_in). Each readout maps [1, r̃] to its group's next values by
ridge regression, r̃ squaring every other unit, as Pathak et al. do: a readout of the state
itself, unlike the lab's ESN's increments — with a linear term in the inputs, the free run on
Kuramoto–Sivashinsky grew without bound within 20 steps (the learned linear part amplified the
short waves the equation damps). The normal equations are summed block by block, so training
never holds every state at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import sparse
from scipy.sparse.linalg import eigs

from core.errors import ArgumentError, ForecastError, Stopped

BLOCK = 1000  # training steps whose states are held at once


@njit(cache=True, nogil=True)
def _step(indptr, indices, data, w_in, feed, leak, neighbourhoods, field, r, out):
    """Every reservoir's next state from the field ``field`` (sites,); ``feed[j]`` is the
    neighbourhood position unit j reads."""
    groups, units = r.shape
    for i in range(groups):
        for j in range(units):
            acc = w_in[i, j] * field[neighbourhoods[i, feed[j]]]
            for k in range(indptr[j], indptr[j + 1]):
                acc += data[k] * r[i, indices[k]]
            out[i, j] = (1.0 - leak) * r[i, j] + leak * np.tanh(acc)


@njit(cache=True, nogil=True)
def _features(r, out):
    """[1, r̃] for one reservoir, r̃ squaring the even-numbered units (Pathak et al. 2018)."""
    out[0] = 1.0
    for j in range(r.shape[0]):
        out[1 + j] = r[j] * r[j] if j % 2 == 0 else r[j]


@njit(cache=True, nogil=True)
def _drive(indptr, indices, data, w_in, feed, leak, neighbourhoods, u, r, features):
    """Drive the reservoirs with ``u`` (time, sites) from ``r``; ``features[i, t]`` gets reservoir
    i's features after step t. Returns the last state."""
    nxt = np.empty_like(r)
    for t in range(u.shape[0]):
        _step(indptr, indices, data, w_in, feed, leak, neighbourhoods, u[t], r, nxt)
        r[:] = nxt
        for i in range(r.shape[0]):
            _features(r[i], features[i, t])
    return r


@njit(cache=True, nogil=True)
def _rollout(indptr, indices, data, w_in, feed, leak, neighbourhoods, owned, readouts, r, u0, horizon):
    groups, width = owned.shape
    sites = u0.shape[0]
    out = np.empty((horizon, sites))
    u = u0.copy()
    nxt = np.empty_like(r)
    features = np.empty(readouts.shape[1])
    for k in range(horizon):
        _step(indptr, indices, data, w_in, feed, leak, neighbourhoods, u, r, nxt)
        r[:] = nxt
        for i in range(groups):
            _features(r[i], features)
            values = features @ readouts[i]
            for s in range(width):
                u[owned[i, s]] = values[s]
        out[k] = u
        if not np.all(np.isfinite(u)):
            out[k:] = np.nan
            break
    return out


class ParallelReservoir:
    """``fit(train, dt)`` on a (time, sites) field on a ring, ``predict(context, horizon)``."""

    # defaults for Kuramoto–Sivashinsky at L = 22, Δt = 0.25 (benchmarks/fields_forecast.py, 10
    # windows, median VPT in Lyapunov times): input scaling 0.1 / 0.2 / 0.3 / 0.5 → 2.1 / 4.6 / 4.7 /
    # 4.3 at ridge 1e-6; ridge 1e-8 / 1e-7 / 1e-6 / 1e-5 → 0.9 / 4.8 / 4.7 / 4.2 at scaling 0.3;
    # groups, overlap, radius and degree are Pathak et al.'s (8 sites a group, 6 either side, 0.6, 3)
    def __init__(self, groups: int = 8, overlap: int = 6, units: int = 1000, spectral_radius: float = 0.6,
                 degree: int = 3, input_scaling: float = 0.3, leak: float = 1.0, ridge: float = 1e-6,
                 warmup: int = 100, seed: int = 0):
        self.groups, self.overlap, self.units = int(groups), int(overlap), int(units)
        self.spectral_radius, self.degree, self.input_scaling = float(spectral_radius), int(degree), float(input_scaling)
        self.leak, self.ridge, self.warmup, self.seed = float(leak), float(ridge), int(warmup), int(seed)
        if self.groups < 1 or self.overlap < 0 or self.units < 2 or self.degree < 1:
            raise ArgumentError("groups ≥ 1, overlap ≥ 0, units ≥ 2 and degree ≥ 1 are needed")

    def _layout(self, sites: int) -> None:
        if sites % self.groups:
            raise ArgumentError(f"{self.groups} groups do not split {sites} sites evenly: choose a divisor of {sites}")
        width = sites // self.groups
        if self.overlap > sites:
            raise ArgumentError(f"an overlap of {self.overlap} sites exceeds the field's {sites}")
        self.owned_ = np.arange(sites).reshape(self.groups, width)
        offsets = np.arange(-self.overlap, width + self.overlap)
        self.neighbourhoods_ = (self.owned_[:, :1] + offsets) % sites  # the ring: periodic neighbours
        rng = np.random.default_rng(self.seed)
        adjacency = sparse.random(self.units, self.units, density=self.degree / self.units, random_state=rng,
                                  data_rvs=lambda n: rng.uniform(-1, 1, n), format="csr")
        radius = abs(eigs(adjacency, k=1, which="LM", return_eigenvectors=False, tol=1e-6)[0])
        adjacency = (adjacency * (self.spectral_radius / max(radius, 1e-12))).tocsr()
        self.csr_ = (adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64), adjacency.data)
        # Pathak et al.: each unit is fed by one input, the same number of units per input
        self.feed_ = rng.permutation(np.arange(self.units) % self.neighbourhoods_.shape[1])
        self.w_in_ = self.input_scaling * rng.uniform(-1, 1, (self.groups, self.units))

    def fit(self, train: np.ndarray, dt: float, progress=None, stop=None) -> ParallelReservoir:
        u = np.asarray(train, dtype=float)
        if u.ndim != 2 or len(u) <= self.warmup + 10:
            raise ArgumentError(f"train must be (time, sites) with more than {self.warmup + 10} steps")
        self._layout(u.shape[1])
        self.scale_ = u.std() or 1.0
        self.mean_ = u.mean()
        z = (u - self.mean_) / self.scale_
        n_features = 1 + self.units
        gram = np.zeros((self.groups, n_features, n_features))
        cross = np.zeros((self.groups, n_features, self.owned_.shape[1]))
        r = np.zeros((self.groups, self.units))
        block = np.empty((self.groups, BLOCK, n_features))
        steps = len(z) - 1
        for start in range(0, steps, BLOCK):
            stop_at = min(start + BLOCK, steps)
            features = block[:, : stop_at - start]
            r = _drive(*self.csr_, self.w_in_, self.feed_, self.leak, self.neighbourhoods_, z[start:stop_at], r,
                       features)
            first = max(self.warmup - start, 0)
            if first < stop_at - start:
                x = features[:, first:]
                following = z[start + 1 + first: stop_at + 1][:, self.owned_]
                gram += np.einsum("gtf,gth->gfh", x, x, optimize=True)
                cross += np.einsum("gtf,tgs->gfs", x, following, optimize=True)
            if stop is not None and stop.is_set():
                raise Stopped("fitting was stopped")
            if progress is not None:
                progress(stop_at / steps, {})
        eye = self.ridge * np.eye(n_features)
        try:
            self.readouts_ = np.stack([np.linalg.solve(gram[i] + eye, cross[i]) for i in range(self.groups)])
        except np.linalg.LinAlgError as exc:
            raise ForecastError(f"the readout's normal equations are singular ({exc}): raise ridge") from exc
        return self

    def predict(self, context: np.ndarray, horizon: int) -> np.ndarray:
        """Warm the reservoirs up on ``context`` (time, sites), then run free for ``horizon`` steps."""
        z = (np.asarray(context, dtype=float) - self.mean_) / self.scale_
        r = np.zeros((self.groups, self.units))
        features = np.empty((self.groups, len(z) - 1, 1 + self.units))
        r = _drive(*self.csr_, self.w_in_, self.feed_, self.leak, self.neighbourhoods_, z[:-1], r, features)
        out = _rollout(*self.csr_, self.w_in_, self.feed_, self.leak, self.neighbourhoods_, self.owned_,
                       self.readouts_, r, z[-1], int(horizon))
        return out * self.scale_ + self.mean_
