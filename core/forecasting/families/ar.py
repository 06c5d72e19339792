"""Linear vector autoregression: x_{t+1} = c + sum_i A_i x_{t-i}, fitted by ridge regression.

Time-aware default (``AR.defaults``): the model's memory, order × dt, is a twentieth of the
dominant period (at least 2 and at most 20 states; 5 at the catalog's period/100 sampling):
long enough to extrapolate the local curvature of the orbit, short enough to stay local.
"""

import numpy as np

from core.forecasting.families.base import Forecaster, Hyper, Search, Timescales, ridge


def lagged(z: np.ndarray, order: int, stride: int = 1) -> np.ndarray:
    """Rows ``[z_t, z_{t-s}, ..., z_{t-(order-1)s}]`` for every t with a full history."""
    span = (order - 1) * stride
    return np.concatenate([z[span - i * stride : len(z) - i * stride] for i in range(order)], axis=1)


class AR(Forecaster):
    name = "ar"
    summary = "Linear vector autoregression"
    reference = "Box & Jenkins (1970); Lütkepohl (2005)"
    hyper = {
        "order": Hyper(int, 5, (1, 200), "number of past states"),
        "ridge": Hyper(float, 1e-6, (0.0, 1e3), "ridge penalty"),
    }

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        return {"order": 2 if ts.discrete else ts.steps(ts.period / 20, 2, 20)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"order": Search(1, 40, log=True), "ridge": Search(1e-10, 1.0, log=True)}

    @property
    def min_context(self):
        return self.order

    def _fit(self, z, dt, progress, stop):
        X = lagged(z[:-1], self.order)
        Y = z[self.order :]
        F = np.hstack([np.ones((len(X), 1)), X])
        self.weights_ = ridge(F, Y, self.ridge)

    def _predict(self, zc, horizon):
        history = list(zc[-self.order :])
        out = np.empty((horizon, zc.shape[1]))
        for k in range(horizon):
            features = np.concatenate([[1.0], *history[::-1][: self.order]])
            out[k] = features @ self.weights_
            history.append(out[k])
        return out
