"""Forecast and attractor metrics, in the field's conventions (dysts; the GTF/PLRNN papers).

Short-term: valid prediction time in Lyapunov times, NRMSE, sMAPE, Pearson correlation, the
error-growth curve. Long-term (the model's own attractor against the truth's): state-space
divergence D_stsp, power-spectrum Hellinger distance D_H, correlation dimension, and the
largest Lyapunov exponent of a free run.
"""

from __future__ import annotations

import numpy as np

from core.dynamics import lyapunov


def _pair(true, pred):
    true, pred = np.asarray(true, dtype=float), np.asarray(pred, dtype=float)
    if true.ndim == 1:
        true, pred = true[:, None], pred[:, None]
    if true.shape != pred.shape:
        raise ValueError(f"true and pred must have the same shape, got {true.shape} and {pred.shape}")
    return true, pred


def error_growth(true, pred, scale=None) -> np.ndarray:
    """Normalised error at each step: sqrt(mean_i ((pred_i - true_i) / scale_i)^2).

    ``scale`` is the per-coordinate standard deviation used for normalisation: pass the training
    data's (the convention of the VPT literature); by default the standard deviation of ``true``.
    """
    true, pred = _pair(true, pred)
    scale = np.std(true, axis=0) if scale is None else np.asarray(scale, dtype=float)
    return np.sqrt(np.mean(((pred - true) / np.where(scale > 0, scale, 1.0)) ** 2, axis=1))


def vpt(true, pred, dt: float, lyapunov_max: float | None, eps: float = 0.5, scale=None) -> float:
    """Valid prediction time: the first time the normalised error exceeds ``eps``, in Lyapunov times.

    Normalisation by the training standard deviation per coordinate (pass it as ``scale``;
    default: the standard deviation of ``true``), as in Pathak et al. (2018) and Gilpin (2023).
    A forecast that never exceeds ``eps`` scores its full length; one that turns NaN or infinite is
    invalid from that step on (a free run that blew up). With ``lyapunov_max`` None the
    result is in time units.
    """
    err = error_growth(true, pred, scale)
    above = np.flatnonzero(~(err <= eps))  # a step that blew up (NaN or infinite) is not valid
    steps = above[0] if len(above) else len(err)
    t = steps * dt
    return float(t * lyapunov_max) if lyapunov_max else float(t)


def nrmse(true, pred, scale=None) -> float:
    """Root mean squared error over time and coordinates, each normalised by ``scale`` (std of true)."""
    return float(np.sqrt(np.mean(error_growth(true, pred, scale) ** 2)))


def smape(true, pred) -> float:
    """Symmetric mean absolute percentage error, 0–200 (dysts's convention)."""
    true, pred = _pair(true, pred)
    return float(100 * np.mean(np.abs(true - pred) / (np.abs(true) + np.abs(pred) + 1e-10)))


def smape_with_blow_up(truth, forecast) -> float:
    """sMAPE (0–200) over the whole of ``truth``, of a ``forecast`` that may be shorter (the finite
    part of one that blew up): every point it did not reach counts 200, the scale's maximum."""
    reached = min(len(forecast), len(truth))
    if reached == 0:
        return 200.0
    return (smape(truth[:reached], forecast[:reached]) * reached + 200.0 * (len(truth) - reached)) / len(truth)


def pearson(true, pred) -> float:
    """Pearson correlation of each coordinate over time, averaged over coordinates."""
    true, pred = _pair(true, pred)
    values = [np.corrcoef(true[:, i], pred[:, i])[0, 1] for i in range(true.shape[1])]
    return float(np.mean(values))


def state_space_divergence(true, generated, bins: int = 30, smoothing: float = 1e-6) -> float:
    """D_stsp: Kullback–Leibler divergence of the occupation densities, KL(p_true || p_gen).

    Both series are standardised with the truth's statistics and binned on a common grid
    (``bins`` per axis over the truth's range ±10 %), as in Koppe et al. (2019) and Hess et al.
    (2023); empty bins get ``smoothing`` mass. More than three coordinates: the first three
    principal components of the truth.
    """
    true, gen = np.asarray(true, dtype=float), np.asarray(generated, dtype=float)
    mean, std = true.mean(axis=0), np.where(true.std(axis=0) > 0, true.std(axis=0), 1.0)
    true, gen = (true - mean) / std, (gen - mean) / std
    if true.shape[1] > 3:
        _, _, vt = np.linalg.svd(true - true.mean(axis=0), full_matrices=False)
        true, gen = true @ vt[:3].T, gen @ vt[:3].T
    low, high = true.min(axis=0), true.max(axis=0)
    pad = 0.1 * (high - low)
    edges = [np.linspace(lo - p, hi + p, bins + 1) for lo, hi, p in zip(low, high, pad)]
    p, _ = np.histogramdd(true, bins=edges)
    q, _ = np.histogramdd(np.clip(gen, [e[0] for e in edges], [e[-1] for e in edges]), bins=edges)
    p = p.ravel() / p.sum() + smoothing
    q = q.ravel() / max(q.sum(), 1) + smoothing
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def power_spectrum_distance(true, generated, num_freq_bins: int = 100, smoothing: float = 0.0) -> float:
    """D_H: Hellinger distance between the power spectra of each coordinate, averaged.

    Mikhaeil et al. (2022); Hess et al. (2023). The first ``num_freq_bins`` FFT bins are
    normalised to sum 1 (dysts's ``average_hellinger_distance``); ``smoothing`` > 0 convolves each
    spectrum with a Gaussian of that many bins first, as the GTF papers do.
    """
    true, gen = np.asarray(true, dtype=float), np.asarray(generated, dtype=float)
    if true.ndim == 1:
        true, gen = true[:, None], gen[:, None]
    distances = []
    for i in range(true.shape[1]):
        spectra = []
        for series in (true[:, i], gen[:, i]):
            power = (np.abs(np.fft.fft(series)) ** 2)[:num_freq_bins]
            if smoothing > 0:
                kernel = np.exp(-0.5 * (np.arange(-4 * smoothing, 4 * smoothing + 1) / smoothing) ** 2)
                power = np.convolve(power, kernel / kernel.sum(), mode="same")
            spectra.append(power / power.sum())
        distances.append(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(spectra[0] * spectra[1])))))
    return float(np.mean(distances))


def correlation_dimension(x, n_pairs: int = 400_000, seed: int = 0) -> float:
    """Grassberger & Procaccia (1983): slope of log C(r) against log r in the scaling region.

    C(r) is the fraction of random point pairs closer than r; the slope is fitted between the
    0.1 and 2 percentiles of the pair distances, small enough to be below the attractor's
    curvature and large enough to hold hundreds of pairs (Lorenz: 2.05).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(x), (2, n_pairs))
    keep = np.abs(i - j) > 10  # leave out temporal neighbours
    distances = np.sort(np.linalg.norm(x[i[keep]] - x[j[keep]], axis=1))
    distances = distances[distances > 0]
    r = np.quantile(distances, np.linspace(0.001, 0.02, 12))
    c = np.searchsorted(distances, r) / len(distances)
    return float(np.polyfit(np.log(r), np.log(c), 1)[0])


def free_run_exponent(x, dt: float) -> float:
    """Largest Lyapunov exponent of a (model's) free run, from its time series (Rosenstein)."""
    return lyapunov.max_exponent_from_data(np.asarray(x, dtype=float), dt).exponent
