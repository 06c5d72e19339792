"""Neural ODE: an MLP vector field integrated by a differentiable RK4, trained on short windows.

Chen, Rubanova, Bettencourt & Duvenaud (2018), Neural ordinary differential equations, NeurIPS.
Training integrates each window from its first state and matches the whole window (multiple
shooting on windows of ``window`` steps); forecasts integrate from the last context state.
A window spans 2/15 of the dominant period (20 steps on Lorenz at dt = 0.01: long enough for the
error of a wrong field to grow, short enough that chaos does not make the loss rugged).
"""

import numpy as np

from core.forecasting.families.base import Hyper
from core.forecasting.families.torch_base import COMMON, TorchForecaster


class NeuralODE(TorchForecaster):
    name = "neural_ode"
    summary = "Neural ODE (MLP vector field, RK4)"
    reference = "Chen et al. (2018), NeurIPS"
    hyper = {**COMMON, "window": Hyper(int, 20, (2, 500), "steps integrated per training window"),
             "epochs": Hyper(int, 60, (1, 10_000), "passes over the training windows"),
             "hidden": Hyper(int, 128, (2, 2048), "hidden units per layer of the vector field"),
             "depth": Hyper(int, 2, (1, 8), "hidden layers of the vector field")}

    def _stride(self):
        # overlapping windows repeat each other: every ``window // 5``-th start carries the information
        return max(1, self.window // 5)

    def _module(self, dim):
        import torch

        layers, width = [], dim
        for _ in range(self.depth):
            layers += [torch.nn.Linear(width, self.hidden), torch.nn.SiLU()]
            width = self.hidden
        layers.append(torch.nn.Linear(width, dim))
        return torch.nn.Sequential(*layers)

    def _step(self, field, x):
        # time in units of the sampling step: the field learns dx/d(step), well scaled for any dt
        k1 = field(x)
        k2 = field(x + 0.5 * k1)
        k3 = field(x + 0.5 * k2)
        k4 = field(x + k3)
        return x + (k1 + 2 * k2 + 2 * k3 + k4) / 6

    def _loss(self, module, windows):
        x = windows[:, 0]
        loss = 0.0
        for t in range(1, windows.shape[1]):
            x = self._step(module, x)
            loss = loss + ((x - windows[:, t]) ** 2).mean()
        return loss / (windows.shape[1] - 1)

    def _free_run_state(self, zc):
        return np.asarray(zc[-1], dtype=float), self._step

    def _rollout(self, module, zc, horizon):
        x = self._tensor(zc[-1:])
        out = np.empty((horizon, zc.shape[1]))
        for k in range(horizon):
            x = self._step(module, x)
            out[k] = x[0].numpy()
        return out
