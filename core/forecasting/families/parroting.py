"""Context parroting: find where the recent past happened before, and repeat what followed.

Zhang & Gilpin (2025), "Context parroting: a simple but tough-to-beat baseline for foundation
models in scientific machine learning". The last ``motif`` states of the context are compared with
every stretch of the same length in a memory — the context itself, as in the paper, or the
training series followed by the context — and the forecast copies what followed the best match.
When the copied stretch runs out (the match sits near the end of the memory), the forecast is
extended by parroting again from the end of what it has copied so far. Nothing is learned beyond
the memory; the paper's point is that pretrained forecasters must beat this to claim they learned
dynamics.

Time-aware default (``Parroting.defaults``): the motif spans a tenth of the dominant period
(10 steps at the catalog's period/100 sampling; 3 iterates for a map): long enough to fix the
position and direction on the attractor, short enough that near matches exist in 10^4 points.
A forecast replays stored data (``replays_data``).
"""

import numpy as np
from scipy.signal import correlate

from core.forecasting.families.base import Forecaster, ForecastError, Hyper, Search, Timescales


def best_match(memory: np.ndarray, motif: np.ndarray) -> int:
    """Index just after the stretch of ``memory`` closest (Euclidean) to ``motif``; what followed
    it is ``memory[index:]``. Stretches overlapping the last ``len(motif)`` rows are skipped, so a
    motif taken from the memory's end never matches itself or its own shifts.

    The squared distances of every stretch come from running sums of |x|^2 and one FFT
    cross-correlation per coordinate: O(n log n), whatever the motif length.
    """
    m, n = len(motif), len(memory)
    if n < 2 * m + 1:
        raise ForecastError(f"parroting: {n} states are too few to match a motif of {m}")
    searched = memory[: n - m]
    energy = np.concatenate([[0.0], np.cumsum((searched**2).sum(axis=1))])
    windows = energy[m:] - energy[:-m]  # |stretch|^2 for each start
    cross = sum(correlate(searched[:, d], motif[:, d], mode="valid", method="fft") for d in range(memory.shape[1]))
    distances = windows - 2 * cross  # + |motif|^2, the same for every stretch
    return int(np.argmin(distances)) + m


def joined(library: np.ndarray, context: np.ndarray) -> np.ndarray:
    """The training series followed by the context, the context's start left out where it repeats
    the series' end (a context taken from the training data, as the published benchmarks forecast
    from the end of what the model was fitted on): appended whole, the end of the series would
    match the context's own last states and the forecast would jump back to the context's start."""
    tail = library[-len(context):]
    for j in np.flatnonzero(np.all(tail == context[0], axis=1)):  # where the context could begin
        overlap = len(tail) - j
        if np.array_equal(tail[j:], context[:overlap]):
            return np.vstack([library, context[overlap:]])
    return np.vstack([library, context])


class Parroting(Forecaster):
    name = "parroting"
    summary = "Context parroting: repeat what followed the best match of the recent past"
    reference = "Zhang & Gilpin (2025), context parroting"
    replays_data = True
    hyper = {
        "motif": Hyper(int, 10, (1, 2000), "states matched (time-aware: a tenth of the dominant period)"),
        "memory": Hyper(str, "training+context", None, "where matches are searched",
                        choices=("training+context", "context")),
    }

    @classmethod
    def defaults(cls, ts: Timescales) -> dict:
        return {"motif": 3 if ts.discrete else ts.steps(ts.period / 10, 2, 2000)}

    @classmethod
    def search_space(cls, ts: Timescales) -> dict:
        top = 8 if ts.discrete else ts.steps(ts.period / 2, 4, 2000)
        return {"motif": Search(1, top, log=True)}

    @property
    def min_context(self):
        # the paper's setting needs the motif and at least one earlier stretch to match it against
        return self.motif if self.memory == "training+context" else 2 * self.motif + 1

    def _fit(self, z, dt, progress, stop):
        self.library_ = z

    def _predict(self, zc, horizon):
        memory = joined(self.library_, zc) if self.memory == "training+context" else zc
        out = np.empty((horizon, zc.shape[1]))
        recent = zc[-self.motif :]
        done = 0
        while done < horizon:
            start = best_match(memory, recent)
            piece = memory[start : start + horizon - done]
            out[done : done + len(piece)] = piece
            done += len(piece)
            recent = np.vstack([recent, piece])[-self.motif :]
        return out
