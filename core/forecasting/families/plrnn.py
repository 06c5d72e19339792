"""Piecewise-linear RNNs for dynamical-systems reconstruction, trained with generalized teacher forcing.

- shPLRNN, the shallow PLRNN of Hess, Monfared, Brenner & Durstewitz (2023), Generalized teacher
  forcing for learning chaotic dynamics, ICML:  z' = A z + W1 relu(W2 z + h2) + h1, A diagonal.
- AL-RNN, the almost-linear RNN of Brenner, Hemmer, Monfared & Durstewitz (2024), Almost-linear
  RNNs yield highly interpretable symbolic codes in dynamical systems reconstruction, NeurIPS:
  z' = A z + W φ(z) + h with φ the identity on M − P units and a ReLU on the last P, so the map
  is linear on each of at most 2^P sub-regions (the sign pattern of those P units).

Both read the observation off the first ``dim`` latent units (identity observation model) and
carry ``latent − dim`` hidden units. Training is generalized teacher forcing (GTF): along each
training sequence the model's state is pulled towards the data, z̃ = (1 − α) z + α ẑ, where ẑ
replaces the observed units by the data; this bounds the gradients on chaotic data. α is
annealed geometrically from ``alpha_start`` to ``alpha_end`` over the epochs (the papers also
adapt α from Jacobian norms; a fixed schedule is what is done here, and said). A forecast
warms the latent state up on the context with full forcing (α = 1), then runs free.
"""

from __future__ import annotations

import numpy as np

from core.forecasting.families.base import Hyper
from core.forecasting.families.torch_base import COMMON, TorchForecaster

GTF = {
    **COMMON,
    "epochs": Hyper(int, 40, (1, 10_000), "passes over the training sequences"),
    "lr": Hyper(float, 2e-3, (1e-6, 1.0), "Adam learning rate"),
    "batch": Hyper(int, 32, (1, 4096), "sequences per gradient step"),
    "window": Hyper(int, 50, (2, 2000), "steps per training sequence"),
    "alpha_start": Hyper(float, 0.5, (0.0, 1.0), "GTF forcing strength α at the first epoch"),
    "alpha_end": Hyper(float, 0.05, (0.0, 1.0), "GTF forcing strength α at the last epoch"),
}


SELECTION_RUN, SELECTION_BINS = 2000, 15  # free run and histogram that pick the best checkpoint
BLOWN_UP = 1e6  # the selection score of a free run that leaves the attractor


class _PiecewiseLinear(TorchForecaster):
    """GTF training and the forced warm-up shared by shPLRNN and AL-RNN."""

    min_context = 1
    window_iterates = 100

    def _latent_dim(self, dim: int) -> int:
        return max(int(self.latent), dim)

    @property
    def latent_dimension(self) -> int:
        """Latent units of the fitted model: the observed ones plus the hidden ones."""
        return self._latent_dim(int(self.dim_))

    def _epoch_begins(self, epoch):
        fraction = epoch / max(1, self.epochs - 1)
        start, end = max(self.alpha_start, 1e-6), max(self.alpha_end, 1e-6)
        self.alpha_ = float(start * (end / start) ** fraction)

    def _stride(self):
        return max(1, self.window // 5)

    def _initial(self, module, x0):
        """Latent state from an observation: the data on the observed units, a learned linear
        guess (``module.L``) on the hidden ones."""
        import torch

        return torch.cat([x0, x0 @ module.L], dim=-1) if module.L.shape[1] else x0

    def _fit(self, z, dt, progress, stop):
        self._reference = z  # the attractor the free runs are judged against while training
        try:
            super()._fit(z, dt, progress, stop)
        finally:
            del self._reference

    def _validation_loss(self, module, windows):
        """Checkpoints are chosen for their long-term behaviour, as in the DSR papers (model
        selection by D_stsp): the state-space divergence of a free run of ``SELECTION_RUN``
        steps from the validation data, plus the free-running error of the validation windows."""
        from core.dynamics.metrics import state_space_divergence

        short = float(self._loss(module, windows, alpha=0.0))
        dim = windows.shape[2]
        z = self._warm(module, windows[0].numpy())
        run = np.empty((SELECTION_RUN, dim))
        for k in range(SELECTION_RUN):
            z = module(z)
            run[k] = z[0, :dim].numpy()
        if not np.all(np.isfinite(run)) or np.abs(run).max() > 1e3:
            return BLOWN_UP + short  # worse than any run that stays bounded; among these, the short error decides
        return state_space_divergence(self._reference, run, bins=SELECTION_BINS) + short

    def _loss(self, module, windows, alpha=None):
        import torch

        dim = windows.shape[2]
        alpha = getattr(self, "alpha_", self.alpha_end) if alpha is None else alpha
        z = self._initial(module, windows[:, 0])
        loss = 0.0
        for t in range(1, windows.shape[1]):
            z = module(z)
            loss = loss + ((z[:, :dim] - windows[:, t]) ** 2).mean()
            observed = (1 - alpha) * z[:, :dim] + alpha * windows[:, t]
            z = torch.cat([observed, z[:, dim:]], dim=1)
        return loss / (windows.shape[1] - 1)

    def _warm(self, module, zc):
        """Latent state at the end of the context: forced along at most the last ``window`` steps,
        the span training starts from ``_initial`` (longer, the free hidden units may drift)."""
        import torch

        x = self._tensor(zc[-self.window :])
        z = self._initial(module, x[:1])
        dim = x.shape[1]
        for t in range(1, len(x)):
            z = module(z)
            z = torch.cat([x[t : t + 1], z[:, dim:]], dim=1)
        return z

    def _rollout(self, module, zc, horizon):
        z = self._warm(module, zc)
        dim = zc.shape[1]
        out = np.empty((horizon, dim))
        for k in range(horizon):
            z = module(z)
            out[k] = z[0, :dim].numpy()
        return out

    def _free_run_state(self, zc):
        return self._warm(self.module_, zc)[0].detach().double().numpy(), lambda module, z: module(z)

    def notes(self, context) -> list[str]:
        latent, observed = self.latent_dimension, int(self.dim_)
        return [f"latent dimension {latent} ({observed} observed + {latent - observed} hidden)", *super().notes(context)]

    def latent_trajectory(self, context, horizon: int) -> np.ndarray:
        """The full latent states of a free run (standardised units), ``(horizon, latent)``."""
        import torch

        zc = (np.asarray(context, dtype=float) - self.mean_) / self.std_
        with torch.no_grad():
            z = self._warm(self.module_, zc)
            out = np.empty((horizon, z.shape[1]))
            for k in range(horizon):
                z = self.module_(z)
                out[k] = z[0].numpy()
        return out


def _diagonal_init(torch, size, scale):
    return torch.nn.Parameter(torch.full((size,), scale, dtype=torch.float64))


class ShallowPLRNN(_PiecewiseLinear):
    name = "shplrnn"
    summary = "Shallow PLRNN trained with generalized teacher forcing"
    reference = "Hess et al. (2023), ICML"
    # GTF sequences of 4/3 of the dominant period (200 steps on Lorenz at dt = 0.01): long enough
    # for the forced model to meet the attractor's folds within one sequence
    window_periods = 200 * 0.01 / 1.5
    hyper = {**GTF, "window": Hyper(int, 200, (2, 2000), "steps per training sequence"),
             "epochs": Hyper(int, 60, (1, 10_000), "passes over the training sequences"),
             "alpha_end": Hyper(float, 0.1, (0.0, 1.0), "GTF forcing strength α at the last epoch"),
             "hidden": Hyper(int, 64, (2, 4096), "ReLU units of the shallow layer (L)"),
             "latent": Hyper(int, 6, (1, 512), "latent units M (at least the data dimension)")}

    def _module(self, dim):
        import torch

        M, L = self._latent_dim(dim), self.hidden

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.A = _diagonal_init(torch, M, 1.0)  # start near the identity map: small dt, small steps
                self.W1 = torch.nn.Parameter(torch.randn(M, L, dtype=torch.float64) * 0.1 / np.sqrt(L))
                self.W2 = torch.nn.Parameter(torch.randn(L, M, dtype=torch.float64) / np.sqrt(M))
                self.h1 = torch.nn.Parameter(torch.zeros(M, dtype=torch.float64))
                self.h2 = torch.nn.Parameter(torch.randn(L, dtype=torch.float64) * 0.5)
                self.L = torch.nn.Parameter(torch.zeros(dim, M - dim, dtype=torch.float64))

            def forward(self, z):
                return self.A * z + torch.relu(z @ self.W2.T + self.h2) @ self.W1.T + self.h1

        return Net()

    def describe(self):
        text = super().describe()
        return f"{text}; latent dimension {self.latent_dimension}" if self.fitted_ else text


class ALRNN(_PiecewiseLinear):
    name = "alrnn"
    summary = "Almost-linear RNN (AL-RNN) trained with generalized teacher forcing"
    reference = "Brenner et al. (2024), NeurIPS"
    window_periods = 50 * 0.01 / 1.5  # a third of the dominant period (50 steps on Lorenz at dt = 0.01)
    window_iterates = 50
    hyper = {**{k: v for k, v in GTF.items() if k != "hidden"},
             "epochs": Hyper(int, 100, (1, 10_000), "passes over the training sequences"),
             "lr": Hyper(float, 3e-3, (1e-6, 1.0), "Adam learning rate"),
             "latent": Hyper(int, 16, (1, 512), "latent units M (at least the data dimension)"),
             "relus": Hyper(int, 12, (1, 64), "piecewise-linear (ReLU) units P: at most 2^P linear sub-regions")}

    def _module(self, dim):
        import torch

        M = self._latent_dim(dim)
        P = min(self.relus, M)

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.A = _diagonal_init(torch, M, 0.9)  # contracting start: the linear units must not explode
                self.W = torch.nn.Parameter(torch.randn(M, M, dtype=torch.float64) * 0.1 / np.sqrt(M))
                self.h = torch.nn.Parameter(torch.zeros(M, dtype=torch.float64))
                self.L = torch.nn.Parameter(torch.zeros(dim, M - dim, dtype=torch.float64))
                self.register_buffer("offdiag", 1.0 - torch.eye(M, dtype=torch.float64))

            def phi(self, z):
                return torch.cat([z[:, : M - P], torch.relu(z[:, M - P :])], dim=1)

            def forward(self, z):
                return self.A * z + self.phi(z) @ (self.W * self.offdiag).T + self.h

        return Net()

    def subregions(self, context, horizon: int = 10_000) -> dict:
        """Linear sub-regions a free run visits: the sign patterns of the P ReLU units.

        Returns the number visited, the bound 2^P, and each pattern's share of the time (most
        frequent first), the symbolic code of Brenner et al. (2024)."""
        z = self.latent_trajectory(context, horizon)
        P = min(self.relus, z.shape[1])
        codes = (z[:, -P:] > 0).astype(np.int64) @ (1 << np.arange(P))
        values, counts = np.unique(codes, return_counts=True)
        order = np.argsort(counts)[::-1]
        return {"visited": int(len(values)), "possible": 2**P,
                "shares": {format(int(values[i]), f"0{P}b"): float(counts[i] / len(codes)) for i in order}}

    def notes(self, context, horizon: int = 10_000) -> list[str]:
        regions = self.subregions(context, horizon)
        top = ", ".join(f"{code}: {share:.0%}" for code, share in list(regions["shares"].items())[:4])
        first, *rest = super().notes(context)
        return [first, f"the free run visits {regions['visited']} of {regions['possible']} linear sub-regions "
                       f"(ReLU sign patterns, most visited first: {top})", *rest]

    def describe(self):
        text = super().describe()
        return f"{text}; latent dimension {self.latent_dimension}, {self.relus} ReLU units" \
            if self.fitted_ else text
