"""LSTM and GRU forecasters: recurrent sequence models predicting the next increment.

Hochreiter & Schmidhuber (1997) (LSTM); Cho et al. (2014) (GRU); for chaotic forecasting
Vlachas et al. (2018), Proc. R. Soc. A 474:20170844. Trained with teacher forcing (every step
sees the true previous state); the rollout warms the hidden state on the context, then feeds
back its own predictions. A teacher-forced window spans 2/15 of the dominant period (20 steps
on Lorenz at dt = 0.01), the torch families' common rule.
"""

import numpy as np

from core.forecasting.families.torch_base import COMMON, TorchForecaster


class _Recurrent(TorchForecaster):
    cell = ""
    hyper = dict(COMMON)

    @property
    def min_context(self):
        return 2

    def _module(self, dim):
        import torch

        class Net(torch.nn.Module):
            def __init__(self, cell, hidden):
                super().__init__()
                self.rnn = getattr(torch.nn, cell)(dim, hidden, batch_first=True)
                self.head = torch.nn.Linear(hidden, dim)

            def forward(self, x, state=None):
                h, state = self.rnn(x, state)
                return x + self.head(h), state  # next state = current + learned increment

        return Net(self.cell, self.hidden)

    def _loss(self, module, windows):
        predicted, _ = module(windows[:, :-1])
        return ((predicted - windows[:, 1:]) ** 2).mean()

    def _free_run_state(self, zc):
        """The observation and the hidden state (and, for an LSTM, the cell state), one vector."""
        import torch

        _, hidden = self.module_(self._tensor(zc[None, :-1]))  # warmed on the context, as a forecast is
        parts = hidden if isinstance(hidden, tuple) else (hidden,)
        state = np.concatenate([zc[-1], *(p[0, 0].detach().double().numpy() for p in parts)])
        dim, size = zc.shape[1], int(self.hidden)

        def advance(module, states):
            x = states[:, None, :dim]
            held = tuple(states[None, :, dim + i * size: dim + (i + 1) * size].contiguous() for i in range(len(parts)))
            out, hidden = module(x, held if len(held) > 1 else held[0])
            after = hidden if isinstance(hidden, tuple) else (hidden,)
            return torch.cat([out[:, 0], *(h[0] for h in after)], dim=1)

        return state, advance

    def _rollout(self, module, zc, horizon):
        _, state = module(self._tensor(zc[None, :-1]))  # warm the hidden state on the context
        x = self._tensor(zc[None, -1:])
        out = np.empty((horizon, zc.shape[1]))
        for k in range(horizon):
            x, state = module(x, state)
            out[k] = x[0, 0].numpy()
        return out


class LSTM(_Recurrent):
    name = "lstm"
    cell = "LSTM"
    summary = "LSTM sequence model"
    reference = "Hochreiter & Schmidhuber (1997); Vlachas et al. (2018)"


class GRU(_Recurrent):
    name = "gru"
    cell = "GRU"
    summary = "GRU sequence model"
    reference = "Cho et al. (2014); Vlachas et al. (2018)"
