"""Shared training loop for the torch families: windows, Adam, validation, best checkpoint, stop.

A torch family builds a ``torch.nn.Module`` and says how a batch of windows ``(batch, length, dim)``
turns into a loss and how to roll out; this base trains with Adam on random windows, validates on
the last 10 % of the training data every epoch, keeps the best weights, ends cleanly (best weights
kept) when ``stop`` is set, and refuses a NaN loss with a message. Weights are saved as arrays in
the same ``.npz`` as every other family. Thread counts are the training service's business.

Time-aware default: a training window spans a fixed fraction of the dominant period, declared by
each family as ``window_periods`` (``window_iterates`` for maps), so that a window holds the same
stretch of dynamics whatever the sampling step.
"""

from __future__ import annotations

import abc
import time

import numpy as np

from core.forecasting.families.base import Forecaster, ForecastError, FreeRunMap, Hyper, Search, Timescales

COMMON = {
    "epochs": Hyper(int, 30, (1, 10_000), "passes over the training windows"),
    "lr": Hyper(float, 3e-3, (1e-6, 1.0), "Adam learning rate"),
    "batch": Hyper(int, 64, (1, 4096), "windows per gradient step"),
    "window": Hyper(int, 20, (2, 1000), "steps per training window"),
    "hidden": Hyper(int, 64, (2, 2048), "hidden units"),
    "seed": Hyper(int, 0, (0, 2**31 - 1), "seed of weights and batches"),
}


class TorchForecaster(Forecaster):
    """Subclasses implement ``_module(dim)``, ``_loss(module, windows)`` and ``_rollout(module, zc, horizon)``."""

    is_iterative = True
    precision = "float32"  # 2× faster than float64 on CPU; rollouts stay far below the data's own error
    window_periods = 20 * 0.01 / 1.5  # 20 steps on Lorenz (period 1.5) at dt = 0.01
    window_iterates = 10

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        low, high = cls.hyper["window"].bounds
        window = cls.window_iterates if ts.discrete else ts.steps(cls.window_periods * ts.period, 3, 1000)
        return {"window": int(np.clip(window, max(low, 3), high))}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        window = cls.defaults(ts)["window"]
        high = cls.hyper["window"].bounds[1]
        space = {"lr": Search(3e-4, 1e-2, log=True),
                 "window": Search(max(3, window // 2), max(4, min(high, 3 * window)), log=True)}
        if "hidden" in cls.hyper:
            space["hidden"] = Search(16, 256, log=True)
        return space

    @abc.abstractmethod
    def _module(self, dim: int):
        """The ``torch.nn.Module`` for states of dimension ``dim``."""

    @abc.abstractmethod
    def _loss(self, module, windows):
        """Scalar training loss of a batch of windows ``(batch, window + 1, dim)``."""

    @abc.abstractmethod
    def _rollout(self, module, zc, horizon: int) -> np.ndarray:
        """``horizon`` standardised steps after the context ``zc`` (gradients off)."""

    def _fit(self, z, dt, progress, stop):
        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.module_ = self._module(z.shape[1]).to(self._dtype())
        split = int(0.9 * len(z))
        train, val = z[:split], z[split - self.window :]
        if len(train) <= self.window + 1 or len(val) <= self.window + 1:
            raise ForecastError(f"{self.name}: {len(z)} points are too few for windows of {self.window}")
        starts = np.arange(0, len(train) - self.window, self._stride())
        val_windows = self._tensor(np.stack([val[s : s + self.window + 1] for s in
                                             range(0, len(val) - self.window, max(1, self.window // 2))]))

        def batches():
            rng.shuffle(starts)
            for first in range(0, len(starts), self.batch):
                yield self._tensor(np.stack([train[s : s + self.window + 1] for s in starts[first : first + self.batch]]))

        self._train(batches, lambda: float(self._validation_loss(self.module_, val_windows)), progress, stop)

    def _train(self, batches, validation_loss, progress, stop) -> None:
        """Adam over ``batches()`` (a fresh iterable of window batches per epoch), the validation
        loss after each epoch, the best weights kept (also for ``snapshot``), a clean stop."""
        import torch

        optimiser = torch.optim.Adam(self.module_.parameters(), lr=self.lr)
        # the learning rate decays geometrically to a tenth of ``lr`` by the last epoch
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=0.1 ** (1 / max(1, self.epochs - 1)))
        best, best_loss, started = None, np.inf, time.perf_counter()
        self.loss_history_ = np.zeros((0, 2))
        self.best_epoch_ = 0
        for epoch in range(self.epochs):
            self._epoch_begins(epoch)
            losses = []
            for windows in batches():
                loss = self._loss(self.module_, windows)
                if not torch.isfinite(loss):
                    if best is not None:
                        self.module_.load_state_dict(best)
                    raise ForecastError(f"{self.name}: the loss became NaN at epoch {epoch + 1}; "
                                        "lower the learning rate")
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.module_.parameters(), 1.0)
                optimiser.step()
                losses.append(loss.detach().item())
                if stop is not None and stop.is_set():
                    break
            schedule.step()
            with torch.no_grad():
                val_loss = validation_loss()
            if val_loss < best_loss:
                best_loss, best = val_loss, {k: v.clone() for k, v in self.module_.state_dict().items()}
                self.best_epoch_, self._best = epoch + 1, best  # read by snapshot() from other threads
            self.loss_history_ = np.vstack([self.loss_history_, [np.mean(losses), val_loss]])
            elapsed = time.perf_counter() - started
            if progress is not None:
                progress((epoch + 1) / self.epochs, {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                                                      "val_loss": val_loss,
                                                      "eta": elapsed / (epoch + 1) * (self.epochs - epoch - 1)})
            if stop is not None and stop.is_set():
                break  # a clean end: the best weights so far are kept
        if best is None:
            raise ForecastError(f"{self.name}: the validation loss was never finite; lower the learning rate")
        self.module_.load_state_dict(best)

    def _dtype(self):
        import torch

        return getattr(torch, self.precision)

    def _tensor(self, array):
        import torch

        return torch.as_tensor(np.asarray(array), dtype=self._dtype())

    def _validation_loss(self, module, windows):
        """Loss on held-out windows that picks the best checkpoint (default: the training loss)."""
        return self._loss(module, windows)

    def _stride(self) -> int:
        """Spacing of training-window starts (1: every start)."""
        return 1

    def _epoch_begins(self, epoch: int) -> None:
        """Hook for schedules (GTF's annealed α)."""

    def notes(self, context) -> list[str]:
        return [f"best checkpoint: epoch {int(self.best_epoch_)}"] if getattr(self, "best_epoch_", 0) else []

    def snapshot(self):
        """A fitted copy holding the best weights so far, while ``fit`` still runs in another
        thread; ``None`` before the first epoch ends. The running fit is not disturbed."""
        best = getattr(self, "_best", None)
        if best is None:
            return None
        clone = type(self).__new__(type(self))
        clone.__dict__ = {k: v for k, v in self.__dict__.items() if k not in ("module_", "_best")}
        clone.module_ = self._module(int(self.dim_)).to(self._dtype())
        clone.module_.load_state_dict(best)
        clone.fitted_ = True
        return clone

    def _free_run_state(self, zc):
        """The free run's state after the standardised context (1-D, float64) and how a network
        advances a batch of such states, ``advance(module, states (B, D)) -> (B, D)``; None for
        a family whose free run is not a map on a state of its own."""
        return None

    def free_run_map(self, zc):
        """The free run on the family's own state (``_free_run_state``). The Jacobian applied to
        the tangent vectors is central differences of a float64 copy of the network, all of them
        in one batched forward pass: torch's forward-mode autograd gives the same products (to
        3e-10 on an LSTM, ``tests/core/forecasting/test_model_spectrum.py``) but costs 5 ms a step
        for an LSTM's four vectors here, the batch 0.1 ms."""
        import copy

        import torch

        with torch.no_grad():
            found = self._free_run_state(zc)
        if found is None:
            return None
        state, advance = found
        module = copy.deepcopy(self.module_).double()

        def step(s, V):
            with torch.no_grad():
                h = 1e-6 * max(1.0, float(np.abs(s).max()))
                base, tangent = torch.as_tensor(s)[None], torch.as_tensor(np.ascontiguousarray(V.T))
                out = advance(module, torch.cat([base, base + h * tangent, base - h * tangent]))
                k = V.shape[1]
                return out[0].numpy(), ((out[1:1 + k] - out[1 + k:]) / (2 * h)).numpy().T

        return FreeRunMap(np.asarray(state, dtype=float), step, "central differences of a float64 copy of the network")

    def _predict(self, zc, horizon):
        import torch

        with torch.no_grad():
            return self._rollout(self.module_, zc, horizon)

    def state(self):
        arrays = {k: v for k, v in super().state().items() if k != "module_"}
        for key, tensor in self.module_.state_dict().items():
            arrays[f"weights__{key}"] = tensor.detach().cpu().numpy()
        return arrays

    def _restore(self, arrays):
        import torch

        weights = {k.removeprefix("weights__"): torch.as_tensor(v) for k, v in arrays.items()
                   if k.startswith("weights__")}
        super()._restore({k: v for k, v in arrays.items() if not k.startswith("weights__")})
        self.module_ = self._module(int(self.dim_)).to(self._dtype())
        self.module_.load_state_dict(weights)
