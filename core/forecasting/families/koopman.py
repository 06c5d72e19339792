"""Koopman-operator forecasters: dynamic mode decomposition (DMD) and extended DMD (EDMD).

DMD: Schmid (2010), J. Fluid Mech. 656:5; Tu et al. (2014), J. Comput. Dyn. 1:391 (exact DMD,
rank-truncated), on time-delay coordinates (Hankel DMD: Arbabi & Mezić 2017, SIAM J. Appl. Dyn.
Syst. 16:2096; Brunton et al. 2017, Nat. Commun. 8:19): a linear operator on the state alone
cannot follow a chaotic orbit even for a step, on a window of past states it extrapolates the
orbit's local curvature. EDMD: Williams, Kevrekidis & Rowley (2015), J. Nonlinear Sci. 25:1307 — a
finite Koopman matrix on a dictionary (polynomials or Gaussian RBFs, with the state itself in it),
read back through the dictionary's linear coordinates and re-lifted at every step.

Time-aware default (``DMD.defaults``): the delay window spans a twentieth of the dominant period,
as ``ar``'s memory does. EDMD's dictionary, its size and its penalty are what ``tune`` searches.
"""

import itertools

import numpy as np

from core.forecasting.families.ar import lagged
from core.forecasting.families.base import Forecaster, Hyper, Search, Timescales, check_stop, ridge


class DMD(Forecaster):
    name = "dmd"
    summary = "Dynamic mode decomposition (linear Koopman approximation)"
    reference = "Schmid (2010), J. Fluid Mech. 656:5; Tu et al. (2014)"
    hyper = {"rank": Hyper(int, 0, (0, 1000), "SVD truncation rank (0: full)"),
             "delays": Hyper(int, 1, (1, 200), "past states in the observable vector (1: plain DMD)")}

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        return {"delays": 2 if ts.discrete else ts.steps(ts.period / 20, 2, 20)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"delays": Search(1, 40, log=True), "rank": Search(0, 60)}

    @property
    def min_context(self):
        return self.delays

    def _fit(self, z, dt, progress, stop):
        H = lagged(z, self.delays)  # rows [z_t, z_{t-1}, ...]: the Hankel matrix's columns
        X, Y = H[:-1].T, H[1:].T
        u, s, vt = np.linalg.svd(X, full_matrices=False)
        r = len(s) if self.rank == 0 else min(self.rank, len(s))
        r = max(1, int(np.sum(s[:r] > s[0] * 1e-12)))  # drop directions the data never moved in
        u, s, vt = u[:, :r], s[:r], vt[:r]
        self.operator_ = Y @ vt.T @ np.diag(1 / s) @ u.T  # h_{t+1} = A h_t
        self.eigenvalues_ = np.linalg.eigvals(u.T @ self.operator_ @ u)

    def _predict(self, zc, horizon):
        dim = zc.shape[1]
        out = np.empty((horizon, dim))
        h = lagged(zc[-self.delays:], self.delays)[-1]
        for k in range(horizon):
            h = self.operator_ @ h
            out[k] = h[:dim]
        return out


class EDMD(Forecaster):
    name = "edmd"
    summary = "Extended DMD on a polynomial or RBF dictionary (Koopman operator)"
    reference = "Williams, Kevrekidis & Rowley (2015), J. Nonlinear Sci. 25:1307"
    hyper = {
        "dictionary": Hyper(str, "poly", None, "observables: monomials or Gaussian RBFs", choices=("poly", "rbf")),
        "degree": Hyper(int, 3, (1, 6), "largest monomial degree (poly)"),
        "centers": Hyper(int, 200, (1, 5000), "number of RBF centres (rbf)"),
        "width": Hyper(float, 1.0, (1e-3, 100.0), "RBF width in standard deviations (rbf)"),
        "ridge": Hyper(float, 1e-8, (0.0, 1e2), "ridge penalty"),
        "seed": Hyper(int, 0, (0, 2**31 - 1), "seed for choosing RBF centres"),
    }

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"dictionary": Search(choices=("poly", "rbf")), "degree": Search(2, 4 if ts.dim <= 4 else 2),
                "centers": Search(50, 600, log=True), "width": Search(0.2, 3.0, log=True),
                "ridge": Search(1e-10, 1e-2, log=True)}

    def _lift(self, z):
        if self.dictionary == "poly":
            columns = [np.ones(len(z))]
            for degree in range(1, self.degree + 1):
                for combo in itertools.combinations_with_replacement(range(z.shape[1]), degree):
                    columns.append(np.prod(z[:, list(combo)], axis=1))
            return np.stack(columns, axis=1)
        d2 = ((z[:, None, :] - self.centers_[None]) ** 2).sum(axis=2)
        return np.hstack([np.ones((len(z), 1)), z, np.exp(-d2 / (2 * self.width**2))])

    def _fit(self, z, dt, progress, stop):
        if self.dictionary == "rbf":
            rng = np.random.default_rng(self.seed)
            self.centers_ = z[rng.choice(len(z), min(self.centers, len(z)), replace=False)]
        psi_x, psi_y = self._lift(z[:-1]), self._lift(z[1:])
        check_stop(stop)
        self.koopman_ = ridge(psi_x, psi_y, self.ridge)  # psi(x_{t+1}) ~ psi(x_t) K

    def _predict(self, zc, horizon):
        d = zc.shape[1]
        out = np.empty((horizon, d))
        x = zc[-1:]
        for k in range(horizon):
            x = (self._lift(x) @ self.koopman_)[:, 1 : 1 + d]  # the dictionary's linear coordinates
            out[k] = x[0]
        return out
