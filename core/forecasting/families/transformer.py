"""A small patched transformer in the style of Panda, for one system or pretrained on many.

Panda (Lai, Bao, Gilpin et al. 2025, "Panda: a pretrained forecast model for universal
representation of chaotic dynamics") cuts each channel of a multivariate series into patches —
each patch a delay vector of that channel — embeds them with polynomial features, and alternates
attention across time (within a channel) with attention across channels (within a patch
position); channel attention has no channel identity, so one model serves any dimension.

Here, in small: patches of ``patch`` steps, an embedding of [patch, patch²], learned positions,
``layers`` blocks of causal temporal attention + channel attention + MLP (pre-norm), and a head
that maps each token to the next patch of its channel. Training is next-patch prediction at every
position of random windows (teacher forcing); a forecast is rolled out patch by patch.

Time-aware default: a patch spans a tenth of the dominant period (15 steps on Lorenz at dt = 0.01,
10 at the catalog's period/100 sampling, 4 iterates for a map), the model reads 12 patches.

``transformer_multi`` is the same network trained offline on many catalog flows
(``python -m core.forecasting.pretrain``). It standardises each forecast by its own context (zero-shot: the
statistics of a new system are not known in advance), and ``fit_many`` trains it on a list of
series of any dimensions; its metadata names the systems it was trained on and those held out.
"""

from __future__ import annotations

import numpy as np

from core.forecasting.families.base import ForecastError, Hyper, Search, Timescales
from core.forecasting.families.torch_base import COMMON, TorchForecaster

HYPER = {
    **{k: v for k, v in COMMON.items() if k not in ("window", "hidden")},
    "epochs": Hyper(int, 45, (1, 10_000), "passes over the training windows"),
    "lr": Hyper(float, 1e-3, (1e-6, 1.0), "Adam learning rate"),
    "batch": Hyper(int, 32, (1, 4096), "windows per gradient step"),
    "context": Hyper(int, 192, (16, 4096), "steps the model reads (a multiple of the patch)"),
    "patch": Hyper(int, 16, (2, 256), "steps per patch (a delay vector of one channel)"),
    "d_model": Hyper(int, 64, (8, 1024), "token width"),
    "heads": Hyper(int, 4, (1, 16), "attention heads (divides d_model)"),
    "layers": Hyper(int, 2, (1, 12), "blocks of temporal + channel attention"),
}


def _network(torch, patch: int, n_patches: int, d_model: int, heads: int, layers: int):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm_t, self.norm_c, self.norm_f = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
            self.time = nn.MultiheadAttention(d_model, heads, batch_first=True)
            self.channels = nn.MultiheadAttention(d_model, heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.GELU(), nn.Linear(2 * d_model, d_model))

        def forward(self, h, mask):
            b, c, n, d = h.shape
            x = self.norm_t(h).reshape(b * c, n, d)  # across time, within each channel (causal)
            h = h + self.time(x, x, x, attn_mask=mask, need_weights=False)[0].reshape(b, c, n, d)
            x = self.norm_c(h).transpose(1, 2).reshape(b * n, c, d)  # across channels, per patch position
            h = h + self.channels(x, x, x, need_weights=False)[0].reshape(b, n, c, d).transpose(1, 2)
            return h + self.mlp(self.norm_f(h))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(2 * patch, d_model)
            self.position = nn.Parameter(torch.randn(n_patches, d_model) * 0.02)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.norm = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, patch)
            self.register_buffer("mask", torch.triu(torch.ones(n_patches, n_patches, dtype=torch.bool), 1))

        def forward(self, x):
            """``x`` (batch, n·patch, channels) → the next patch after each patch: (batch, n, patch, channels)."""
            b, t, c = x.shape
            n = t // patch
            p = x.transpose(1, 2).reshape(b, c, n, patch)
            h = self.embed(torch.cat([p, p * p], dim=-1)) + self.position[:n]
            for block in self.blocks:
                h = block(h, self.mask[:n, :n])
            return self.head(self.norm(h)).permute(0, 2, 3, 1)  # (b, n, patch, c)

    return Net()


class PatchedTransformer(TorchForecaster):
    name = "transformer"
    summary = "Patched transformer, attention across time and channels (Panda-style)"
    reference = "Lai et al. (2025), Panda; Vaswani et al. (2017)"
    hyper = HYPER

    def __init__(self, **hparams):
        super().__init__(**hparams)
        if self.context % self.patch:
            raise ValueError(f"context ({self.context}) must be a multiple of patch ({self.patch})")
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        patch = 4 if ts.discrete else ts.steps(ts.period / 10, 2, 256)
        return {"patch": patch, "context": int(min(4096 // patch, 12) * patch)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        return {"lr": Search(3e-4, 3e-3, log=True), "d_model": Search(choices=(32, 64, 128))}

    @property
    def window(self) -> int:  # a training window: the context and one more patch to predict
        return self.context + self.patch

    @property
    def min_context(self) -> int:
        return self.context

    def _stride(self):
        return max(1, self.patch // 2)

    def _module(self, dim):
        import torch

        return _network(torch, self.patch, self.context // self.patch, self.d_model, self.heads, self.layers)

    def _loss(self, module, windows):
        inputs = windows[:, :-1][:, : self.context]
        b, _, c = inputs.shape
        n = self.context // self.patch
        predicted = module(inputs)  # next patch after each of the n patches
        targets = windows[:, self.patch :][:, : self.context].reshape(b, n, self.patch, c)
        return ((predicted - targets) ** 2).mean()

    def _rollout(self, module, zc, horizon):
        import torch

        history = self._tensor(zc[-self.context :])[None]
        out = []
        steps = 0
        while steps < horizon:
            nxt = module(history)[:, -1]  # (1, patch, c)
            out.append(nxt[0].numpy())
            history = torch.cat([history[:, self.patch :], nxt], dim=1)
            steps += self.patch
        return np.concatenate(out)[:horizon]


class MultiSystemTransformer(PatchedTransformer):
    """The patched transformer pretrained on many systems; zero-shot on systems it never saw."""

    name = "transformer_multi"
    summary = "Patched transformer pretrained on many catalog flows (zero-shot forecasts)"
    reference = "Lai et al. (2025), Panda"
    hyper = {**HYPER, "epochs": Hyper(int, 20, (1, 10_000), "passes over all systems' windows")}

    def fit_many(self, series: list, dts: list, names: list | None = None, progress=None, stop=None,
                 held_out: list | None = None):
        """Train on several systems' series (each checked and standardised by itself, as ``fit``
        does for one; batches drawn from one system at a time, so channel counts may differ)."""
        if not series:
            raise ForecastError("transformer_multi: no training series")
        zs = [self._begin_fit(x, dt) for x, dt in zip(series, dts)]
        self.dim_, self.dt_ = zs[0].shape[1], float(dts[0])
        self.mean_, self.std_ = np.zeros(self.dim_), np.ones(self.dim_)  # forecasts scale by their context
        self.trained_on_ = np.array(names or [f"series {i}" for i in range(len(zs))])
        self.held_out_ = np.array(held_out or [], dtype=str)
        self._fit_series(zs, progress, stop)
        return self._end_fit(progress)

    def _fit(self, z, dt, progress, stop):
        self.trained_on_, self.held_out_ = np.array(["the training series"]), np.array([], dtype=str)
        self._fit_series([z], progress, stop)

    def _fit_series(self, zs: list, progress, stop) -> None:
        import torch

        if any(len(z) < 2 * self.window for z in zs):
            raise ForecastError(f"transformer_multi: each series needs {2 * self.window} points")
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.module_ = self._module(zs[0].shape[1]).to(self._dtype())
        train = [(i, s) for i, z in enumerate(zs) for s in range(0, int(0.9 * len(z)) - self.window, self._stride())]
        val = [(i, s) for i, z in enumerate(zs) for s in range(int(0.9 * len(z)), len(z) - self.window, self.window)]

        def windows(i, chosen):
            return self._tensor(np.stack([zs[i][s : s + self.window + 1] for s in chosen]))

        def batches():  # each batch from one system, so channel counts may differ between systems
            by_series: dict[int, list] = {}
            for k in rng.permutation(len(train)):
                by_series.setdefault(train[k][0], []).append(train[k][1])
            chosen = [(i, s[j : j + self.batch]) for i, s in by_series.items() for j in range(0, len(s), self.batch)]
            rng.shuffle(chosen)
            return (windows(i, c) for i, c in chosen)

        def validation_loss():
            return float(np.mean([float(self._loss(self.module_, windows(i, [s]))) for i, s in val]))

        self._train(batches, validation_loss, progress, stop)

    any_dimension = True  # channel attention has no channel identity

    def scaling(self, context):
        """Zero-shot: standardise by the context itself, whatever system it comes from."""
        std = context.std(axis=0)
        return context.mean(axis=0), np.where(std > 0, std, 1.0)
