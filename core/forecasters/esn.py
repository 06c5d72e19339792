"""Echo state network: a sparse random leaky reservoir driven by the data, and a ridge readout.

Jaeger (2001), GMD Report 148; Jaeger & Haas (2004), Science 304:78; for chaos forecasting
Pathak et al. (2018), Phys. Rev. Lett. 120:024102. The readout maps [1, u_t, r_t] to the
increment u_{t+1} - u_t; before a rollout the reservoir is warmed up on the context.
"""

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import eigs

from core.forecasters.base import Forecaster, Hyper, check_stop, ridge
from core.forecasters.registry import register


@register
class ESN(Forecaster):
    name = "esn"
    summary = "Echo state network (reservoir computer)"
    reference = "Jaeger & Haas (2004), Science 304:78; Pathak et al. (2018), PRL 120:024102"
    hyper = {
        "units": Hyper(int, 500, (10, 5000), "reservoir size"),
        "spectral_radius": Hyper(float, 1.0, (0.0, 3.0), "largest |eigenvalue| of the reservoir matrix"),
        "leak": Hyper(float, 0.5, (0.01, 1.0), "leak rate"),
        "input_scaling": Hyper(float, 0.1, (1e-4, 10.0), "scale of the input weights"),
        "connectivity": Hyper(float, 0.02, (1e-3, 1.0), "fraction of non-zero reservoir weights"),
        "ridge": Hyper(float, 1e-7, (0.0, 1e2), "ridge penalty of the readout"),
        "warmup": Hyper(int, 100, (0, 10_000), "steps discarded before fitting and before a rollout"),
        "seed": Hyper(int, 0, (0, 2**31 - 1), "seed of the random weights"),
    }

    @property
    def min_context(self):
        return max(1, self.warmup)

    def _matrices(self, dim):
        rng = np.random.default_rng(self.seed)
        w = sparse.random(self.units, self.units, density=self.connectivity, random_state=rng,
                          data_rvs=lambda n: rng.uniform(-1, 1, n), format="csr")
        radius = abs(eigs(w, k=1, which="LM", return_eigenvectors=False, maxiter=10_000)[0]) if self.units > 2 \
            else np.abs(np.linalg.eigvals(w.toarray())).max()
        w = w * (self.spectral_radius / radius) if radius > 0 else w
        w_in = rng.uniform(-self.input_scaling, self.input_scaling, (self.units, dim + 1))
        return w, w_in

    def _run(self, u, r):
        states = np.empty((len(u), self.units))
        w, w_in = self.reservoir_, self.w_in_
        for t in range(len(u)):
            r = (1 - self.leak) * r + self.leak * np.tanh(w @ r + w_in[:, 0] + w_in[:, 1:] @ u[t])
            states[t] = r
        return states

    def _fit(self, z, dt, progress, stop):
        self.reservoir_, self.w_in_ = self._matrices(z.shape[1])
        check_stop(stop)
        states = self._run(z[:-1], np.zeros(self.units))
        check_stop(stop)
        keep = slice(self.warmup, None)
        features = np.hstack([np.ones((len(states), 1)), z[:-1], states])[keep]
        self.readout_ = ridge(features, (z[1:] - z[:-1])[keep], self.ridge)

    def _predict(self, zc, horizon):
        states = self._run(zc[:-1], np.zeros(self.units)) if len(zc) > 1 else np.zeros((1, self.units))
        r = states[-1] if len(zc) > 1 else np.zeros(self.units)
        u = zc[-1].copy()
        out = np.empty((horizon, len(u)))
        w, w_in = self.reservoir_, self.w_in_
        for k in range(horizon):
            r = (1 - self.leak) * r + self.leak * np.tanh(w @ r + w_in[:, 0] + w_in[:, 1:] @ u)
            u = u + np.concatenate([[1.0], u, r]) @ self.readout_
            out[k] = u
        return out

    def state(self):
        arrays = super().state()
        w = self.reservoir_.tocoo()
        arrays["reservoir_"] = np.stack([w.row, w.col, w.data])  # sparse matrix as (row, col, value)
        return arrays

    def _restore(self, arrays):
        super()._restore(arrays)
        row, col, data = self.reservoir_
        self.reservoir_ = sparse.csr_matrix((data, (row.astype(int), col.astype(int))), shape=(self.units,) * 2)
