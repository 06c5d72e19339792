"""Echo state network: a sparse random leaky reservoir driven by the data, and a ridge readout.

Jaeger (2001), GMD Report 148; Jaeger & Haas (2004), Science 304:78; for chaos forecasting
Pathak et al. (2018), Phys. Rev. Lett. 120:024102. The readout maps [1, u_t, r̃_t] to the
increment u_{t+1} - u_t, where r̃ squares every other unit (``squared``): tanh units are odd
functions, and without even features the readout cannot represent the even parts of the flow
(Lu et al. 2017, Chaos 27:041102; Pathak et al. 2018) — on Lorenz this adds about one Lyapunov
time of VPT. Before a rollout the reservoir is warmed up on the context.

Time-aware defaults (``ESN.defaults``): a leaky unit relaxes over dt / leak time units, so the
leak rate is chosen for a reservoir memory of about 1/75 of the dominant period
(leak = 75 dt / period, at most 1; Lorenz at dt = 0.01: 0.5, the catalog's period/100
sampling: 0.75; maps: 1, no leak). The input scaling sets how far one step's change of the input
moves the units: at fine sampling successive inputs differ by ~2π dt / period standard
deviations, so the scaling grows as the sampling gets finer (∝ (samples per period)^½: 0.35 at
75 samples a period, within 0.05–2). The warm-up discards one dominant period (at least 20
and at most 1000 steps): the time the drive needs to wash out the reservoir's initial state.

The reservoir loop (drive and rollout) is compiled with numba over the sparse matrix's CSR
arrays: 10^4 steps of a 500-unit reservoir take milliseconds, which is what lets ``tune`` try
dozens of reservoirs in a few seconds.
"""

import numpy as np
from numba import njit
from scipy import sparse
from scipy.sparse.linalg import eigs

from core.forecasting.families.base import Forecaster, FreeRunMap, Hyper, Search, Timescales, check_stop, ridge


@njit(cache=True, nogil=True)
def _step(indptr, indices, data, w_in, leak, r, u, out):
    for i in range(len(r)):
        acc = w_in[i, 0]
        for j in range(len(u)):
            acc += w_in[i, 1 + j] * u[j]
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * r[indices[k]]
        out[i] = (1.0 - leak) * r[i] + leak * np.tanh(acc)


@njit(cache=True, nogil=True)
def _drive(indptr, indices, data, w_in, leak, u, r0):
    """Reservoir states driven by the inputs ``u`` (time, dim) from the state ``r0``."""
    states = np.empty((u.shape[0], r0.shape[0]))
    r = r0.copy()
    nxt = np.empty_like(r)
    for t in range(u.shape[0]):
        _step(indptr, indices, data, w_in, leak, r, u[t], nxt)
        r[:] = nxt
        states[t] = r
    return states


@njit(cache=True, nogil=True)
def _features(u, r, squared, out):
    """[1, u, r̃] into ``out``; r̃ squares the even-numbered units when ``squared``."""
    dim = u.shape[0]
    out[0] = 1.0
    out[1 : 1 + dim] = u
    out[1 + dim :] = r
    if squared:
        for i in range(0, r.shape[0], 2):
            out[1 + dim + i] = r[i] * r[i]


@njit(cache=True, nogil=True)
def _rollout(indptr, indices, data, w_in, leak, readout, r0, u0, horizon, squared):
    """Free run: the readout's increment is fed back as the next input."""
    dim = u0.shape[0]
    out = np.empty((horizon, dim))
    r, u = r0.copy(), u0.copy()
    nxt = np.empty_like(r)
    features = np.empty(1 + dim + r.shape[0])
    for k in range(horizon):
        _step(indptr, indices, data, w_in, leak, r, u, nxt)
        r[:] = nxt
        _features(u, r, squared, features)
        u = u + features @ readout
        out[k] = u
        if not np.all(np.isfinite(u)):
            out[k:] = np.nan
            break
    return out


class ESN(Forecaster):
    name = "esn"
    summary = "Echo state network (reservoir computer)"
    reference = "Jaeger & Haas (2004), Science 304:78; Pathak et al. (2018), PRL 120:024102"
    hyper = {
        "units": Hyper(int, 500, (10, 5000), "reservoir size"),
        "spectral_radius": Hyper(float, 0.8, (0.0, 3.0), "largest |eigenvalue| of the reservoir matrix"),
        "leak": Hyper(float, 0.5, (0.01, 1.0), "leak rate (time-aware: 75 dt / period)"),
        "input_scaling": Hyper(float, 0.5, (1e-4, 10.0), "scale of the input weights"),
        "connectivity": Hyper(float, 0.02, (1e-3, 1.0), "fraction of non-zero reservoir weights"),
        "ridge": Hyper(float, 1e-8, (0.0, 1e2), "ridge penalty of the readout"),
        "squared": Hyper(bool, True, None, "square every other unit in the readout (Pathak et al. 2018)",
                         choices=(True, False)),
        "warmup": Hyper(int, 100, (0, 10_000), "steps discarded before fitting and before a rollout (one period)"),
        "seed": Hyper(int, 0, (0, 2**31 - 1), "seed of the random weights"),
    }

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        if ts.discrete:
            return {"leak": 1.0, "input_scaling": 0.5, "warmup": 20}
        return {"leak": float(np.clip(75 / ts.per_period, 0.05, 1.0)),
                "input_scaling": float(np.clip(0.35 * np.sqrt(ts.per_period / 75), 0.05, 2.0)),
                "warmup": ts.steps(ts.period, 20, 1000)}

    @classmethod
    def cautious(cls, ts: Timescales) -> dict:
        # on the dysts univariate benchmark's 1000-point series, the defaults' free run blew up on 16
        # of the 18 systems where the tuned ESN had; this held for 1000 steps on 15 of them
        return {"ridge": 1e-2, "spectral_radius": 0.5}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"spectral_radius": Search(0.05, 1.5), "leak": Search(0.02, 1.0, log=True),
                "input_scaling": Search(0.01, 2.0, log=True), "ridge": Search(1e-10, 1e-2, log=True)}

    @property
    def min_context(self):
        return max(1, self.warmup)

    def _matrices(self, dim):
        rng = np.random.default_rng(self.seed)
        w = sparse.random(self.units, self.units, density=self.connectivity, random_state=rng,
                          data_rvs=lambda n: rng.uniform(-1, 1, n), format="csr")
        if self.units > 2:
            # ARPACK starts from a random vector of its own unless given one: the radius (and, through
            # the chaos, every forecast) then differed in its last bits from process to process
            start = np.random.default_rng([self.seed, 1]).uniform(-1, 1, self.units)
            radius = abs(eigs(w, k=1, which="LM", v0=start, return_eigenvectors=False, maxiter=10_000)[0])
        else:
            radius = np.abs(np.linalg.eigvals(w.toarray())).max()
        w = w * (self.spectral_radius / radius) if radius > 0 else w
        w_in = rng.uniform(-self.input_scaling, self.input_scaling, (self.units, dim + 1))
        return w.tocsr(), w_in

    def _csr(self):
        w = self.reservoir_
        return w.indptr.astype(np.int64), w.indices.astype(np.int64), w.data.astype(float), self.w_in_, float(self.leak)

    def _fit(self, z, dt, progress, stop):
        self.reservoir_, self.w_in_ = self._matrices(z.shape[1])
        check_stop(stop)
        states = _drive(*self._csr(), np.ascontiguousarray(z[:-1]), np.zeros(self.units))
        check_stop(stop)
        keep = slice(self.warmup, None)
        if self.squared:
            states[:, ::2] **= 2
        features = np.hstack([np.ones((len(states), 1)), z[:-1], states])[keep]
        self.readout_ = ridge(features, (z[1:] - z[:-1])[keep], self.ridge)

    def _warmed(self, zc):
        """The reservoir driven by the context up to its last point, where a free run starts."""
        r = np.zeros(self.units)
        if len(zc) > 1:
            r = _drive(*self._csr(), np.ascontiguousarray(zc[:-1]), r)[-1]
        return r

    def _predict(self, zc, horizon):
        r = self._warmed(zc)
        return _rollout(*self._csr(), np.ascontiguousarray(self.readout_), r, zc[-1].astype(float), int(horizon),
                        bool(self.squared))

    def free_run_map(self, zc):
        """The free run's state is the reservoir and the fed-back input, (r, u): r' = (1 - a) r +
        a tanh(W r + W_in [1, u]), u' = u + R·[1, u, r̃']. The Jacobian is analytic (tanh' = 1 -
        tanh², the squared units' 2 r), applied to tangent vectors with the sparse W."""
        r = self._warmed(zc)
        w, w_in, leak, readout = self.reservoir_, self.w_in_, float(self.leak), np.asarray(self.readout_)
        n, dim = self.units, zc.shape[1]
        bias, w_u = w_in[:, 0], w_in[:, 1:]
        r_u, r_r = readout[1:1 + dim], readout[1 + dim:]

        def step(state, V):
            r, u = state[:n], state[n:]
            active = np.tanh(w @ r + bias + w_u @ u)
            r_new = (1.0 - leak) * r + leak * active
            shown = r_new.copy()
            slope = np.ones(n)
            if self.squared:
                shown[::2] = r_new[::2] ** 2
                slope[::2] = 2.0 * r_new[::2]
            u_new = u + readout[0] + u @ r_u + shown @ r_r
            dr, du = V[:n], V[n:]
            dr_new = (1.0 - leak) * dr + (leak * (1.0 - active ** 2))[:, None] * (w @ dr + w_u @ du)
            du_new = du + r_u.T @ du + r_r.T @ (slope[:, None] * dr_new)
            return np.concatenate([r_new, u_new]), np.vstack([dr_new, du_new])

        return FreeRunMap(np.concatenate([r, zc[-1]]).astype(float), step, "analytic")

    def state(self):
        arrays = super().state()
        w = self.reservoir_.tocoo()
        arrays["reservoir_"] = np.stack([w.row, w.col, w.data])  # sparse matrix as (row, col, value)
        return arrays

    def _restore(self, arrays):
        super()._restore(arrays)
        row, col, data = self.reservoir_
        self.reservoir_ = sparse.csr_matrix((data, (row.astype(int), col.astype(int))), shape=(self.units,) * 2)
