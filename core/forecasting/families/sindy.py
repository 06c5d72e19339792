"""SINDy: sparse regression of the vector field on a polynomial library, through PySINDy.

Brunton, Proctor & Kutz (2016), PNAS 113:3932; PySINDy (de Silva et al. 2020; Kaptanoglu et al.
2022). Fitted in the data's own units so the discovered equations read as physics; forecasts
integrate the learned field with RK4 at the sampling step.

Time-aware defaults (``SINDy.defaults``): a flow's coefficients are rates, in 1/time, so the
sparsity threshold scales with the inverse dominant period: 0.15 / period (0.1 on Lorenz, whose
period is 1.5). A map is fitted as a map (``discrete_time``), with a threshold of 0.05 on its
dimensionless coefficients.
"""

import numpy as np

from core.dynamics import runge_kutta
from core.forecasting.families.base import Forecaster, ForecastError, Hyper, Search, Timescales


class SINDy(Forecaster):
    name = "sindy"
    summary = "Sparse identification of nonlinear dynamics (SINDy)"
    reference = "Brunton, Proctor & Kutz (2016), PNAS 113:3932; PySINDy"
    hyper = {
        "degree": Hyper(int, 2, (1, 5), "largest monomial degree of the library"),
        "threshold": Hyper(float, 0.1, (0.0, 100.0), "STLSQ sparsity threshold (in data units)"),
        "alpha": Hyper(float, 0.05, (0.0, 10.0), "STLSQ ridge penalty"),
        "discrete_time": Hyper(bool, False, None, "fit a map x_{n+1} = f(x_n) instead of a flow",
                               choices=(False, True)),
    }

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        if ts.discrete:
            return {"discrete_time": True, "threshold": 0.05}
        return {"discrete_time": False, "threshold": float(min(100.0, 0.15 / ts.period))}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        threshold = cls.defaults(ts)["threshold"]
        return {"degree": Search(2, 3), "threshold": Search(threshold / 30, min(100.0, threshold * 10), log=True),
                "alpha": Search(1e-4, 1.0, log=True)}

    def _fit(self, z, dt, progress, stop):
        import pysindy as ps

        x = z * self.std_ + self.mean_  # physical units: equations a person can read
        kind = ps.DiscreteSINDy if self.discrete_time else ps.SINDy
        model = kind(feature_library=ps.PolynomialLibrary(degree=self.degree),
                     optimizer=ps.STLSQ(threshold=self.threshold, alpha=self.alpha))
        model.fit(x, t=dt)
        self.coefficients_ = model.coefficients()  # (dim, n_features)
        self.powers_ = model.feature_library.powers_  # (n_features, dim)
        if not np.any(self.coefficients_):
            raise ForecastError("sindy: every coefficient was thresholded away; lower the threshold")

    def field(self, x: np.ndarray) -> np.ndarray:
        """The discovered vector field at states ``x`` (n, dim), in data units."""
        theta = np.prod(x[:, None, :] ** self.powers_[None], axis=2)
        return theta @ self.coefficients_.T

    def equations(self, names=None, precision: int = 3) -> list[str]:
        """The discovered equations, one line per coordinate, in data units."""
        names = names or [f"x{i}" for i in range(self.coefficients_.shape[0])]
        terms = []
        for power in self.powers_:
            parts = [n if p == 1 else f"{n}^{p}" for n, p in zip(names, power) if p]
            terms.append(" ".join(parts) or "1")
        lines = []
        for name, row in zip(names, self.coefficients_):
            rhs = " + ".join(f"{c:.{precision}g}" if t == "1" else f"{c:.{precision}g} {t}"
                             for c, t in zip(row, terms) if c != 0) or "0"
            lines.append(f"{name}[n+1] = {rhs}" if self.discrete_time else f"d{name}/dt = {rhs}")
        return lines

    def _predict(self, zc, horizon):
        x = (zc[-1:] * self.std_ + self.mean_).copy()
        h = self.dt_
        out = np.empty((horizon, x.shape[1]))
        for k in range(horizon):
            if self.discrete_time:
                x = self.field(x)
                out[k] = x[0]
                continue
            x = runge_kutta.step_numpy(self.field, runge_kutta.RK4, x, h)
            if not np.all(np.isfinite(x)):
                out[k:] = np.nan
                break
            out[k] = x[0]
        return (out - self.mean_) / self.std_
