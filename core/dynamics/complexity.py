"""Measures of a series that need no model: the 0–1 test for chaos, sample entropy, and the
synchrony of the nodes of a network (their spread, and their correlations).

Each works on data alone, so it serves a network of maps, a field's sites or a measured signal
alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from core.errors import ArgumentError


def _series(x, minimum: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ArgumentError(f"{what} takes one scalar series, got an array of shape {x.shape}")
    if len(x) < minimum:
        raise ArgumentError(f"{what} needs at least {minimum} points, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ArgumentError(f"{what}: the series holds NaN or infinite values")
    return x


@njit(cache=True, nogil=True)
def _displacement_correlations(x, cs, cut):
    """For each c, the correlation of n with the mean square displacement of (p, q), its
    oscillatory term removed (Gottwald & Melbourne 2009, eqs. 2.3–2.5), for n = 1 … cut."""
    n = len(x)
    mean2 = np.mean(x) ** 2
    lags = np.arange(1, cut + 1).astype(np.float64)
    out = np.empty(len(cs))
    p = np.empty(n)
    q = np.empty(n)
    d = np.empty(cut)
    for i in range(len(cs)):
        c = cs[i]
        ps = qs = 0.0
        for j in range(n):
            ps += x[j] * np.cos((j + 1) * c)
            qs += x[j] * np.sin((j + 1) * c)
            p[j], q[j] = ps, qs
        for k in range(1, cut + 1):
            acc = 0.0
            for j in range(n - k):
                acc += (p[j + k] - p[j]) ** 2 + (q[j + k] - q[j]) ** 2
            d[k - 1] = acc / (n - k) - mean2 * (1 - np.cos(k * c)) / (1 - np.cos(c))
        if np.std(d) > 0:
            out[i] = np.corrcoef(lags, d)[0, 1]
        else:
            out[i] = 0.0
    return out


def zero_one_test(x, n_c: int = 100, seed: int = 0) -> float:
    """Gottwald & Melbourne's 0–1 test for chaos, K ≈ 1 for chaos and ≈ 0 for regular dynamics.

    Gottwald & Melbourne (2004, Proc. R. Soc. A 460, 603) and its implementation notes (2009, SIAM
    J. Appl. Dyn. Syst. 8, 129): the series drives a translation (p, q)(n) = Σ_{j ≤ n} x_j (cos jc,
    sin jc); its mean square displacement grows linearly for chaos and stays bounded otherwise. K
    is the median over ``n_c`` random c in (π/5, 4π/5) of the correlation of the displacement
    (with its oscillatory term removed) with n, for n up to N/10. A series sampled far finer than
    its own time scale reads as regular: sample a flow near its dominant period.
    """
    x = _series(x, 100, "the 0–1 test")
    cs = np.random.default_rng(seed).uniform(np.pi / 5, 4 * np.pi / 5, n_c)
    return float(np.median(_displacement_correlations(x, cs, len(x) // 10)))


@njit(cache=True, nogil=True)
def _matches(x, m, r):
    """Pairs of templates of length m, and of length m + 1, within r (Chebyshev), self-matches
    excluded, over the same N − m templates (Richman & Moorman's convention)."""
    n = len(x)
    b = 0
    a = 0
    for i in range(n - m):
        for j in range(i + 1, n - m):
            close = True
            for k in range(m):
                if abs(x[i + k] - x[j + k]) > r:
                    close = False
                    break
            if close:
                b += 1
                if abs(x[i + m] - x[j + m]) <= r:
                    a += 1
    return a, b


def sample_entropy(x, m: int = 2, r: float | None = None) -> float:
    """Sample entropy, −ln(A / B) (Richman & Moorman 2000, Am. J. Physiol. 278, H2039): B pairs of
    templates of length m within ``r`` (default 0.2 × the standard deviation), A of them still
    within r at length m + 1. Higher means less predictable; white noise at r = 0.2σ, m = 2 gives
    −ln erf(0.1) = 2.185. Raises ``ArgumentError`` where no pair matches (the entropy is undefined)."""
    x = _series(x, m + 10, "sample entropy")
    r = 0.2 * float(np.std(x)) if r is None else float(r)
    if not r > 0:
        raise ArgumentError(f"sample entropy needs a tolerance r > 0, got {r}")
    a, b = _matches(x, int(m), r)
    if a == 0 or b == 0:
        raise ArgumentError(f"no templates of length {m + 1 if b else m} match within r = {r:.3g}: "
                            "the sample entropy is undefined; raise r or use a longer series")
    return float(-np.log(a / b))


def synchronization_error(states) -> np.ndarray:
    """The nodes' spread at each time, sqrt(mean_i |x_i − x̄|²), for ``states`` (time, nodes) or
    (time, nodes, variables): zero when every node does the same (complete synchrony)."""
    s = np.asarray(states, dtype=float)
    if s.ndim == 2:
        s = s[:, :, None]
    if s.ndim != 3 or s.shape[1] < 2:
        raise ArgumentError(f"states must be (time, nodes[, variables]) with at least two nodes, got {s.shape}")
    return np.sqrt(np.mean(np.sum((s - s.mean(axis=1, keepdims=True)) ** 2, axis=2), axis=1))


def cross_correlation(states) -> np.ndarray:
    """The nodes' Pearson correlation matrix over time, for ``states`` (time, nodes); a node that
    never changes correlates with nothing (0), and with itself (1)."""
    s = np.asarray(states, dtype=float)
    if s.ndim != 2:
        raise ArgumentError(f"states must be (time, nodes), got {s.shape}")
    centred = s - s.mean(axis=0)
    norms = np.sqrt(np.sum(centred**2, axis=0))
    safe = np.where(norms > 0, norms, 1.0)
    corr = (centred.T @ centred) / np.outer(safe, safe)
    corr[norms == 0] = 0.0
    corr[:, norms == 0] = 0.0
    np.fill_diagonal(corr, 1.0)
    return corr


def order_parameter(states) -> np.ndarray:
    """The Kuramoto order parameter R(t) = |⟨exp(i θ_j(t))⟩_j| of ``states`` (time, nodes): 1 when
    every node has the same phase, near 1/√N for independent phases. Each node's phase θ_j is the
    argument of the analytic signal of its centred series (the Hilbert transform; Pikovsky,
    Rosenblum & Kurths 2001, *Synchronization*, §6.4), which gives a spiking or chaotic map's
    series a phase that advances one turn per oscillation. A node that never changes has no
    phase and is left out."""
    from scipy.signal import hilbert

    s = np.asarray(states, dtype=float)
    if s.ndim != 2 or s.shape[1] < 2 or s.shape[0] < 8:
        raise ArgumentError(f"states must be (time >= 8, nodes >= 2), got {s.shape}")
    centred = s - s.mean(axis=0)
    moving = np.ptp(s, axis=0) > 1e-12 * np.maximum(1.0, np.abs(s).max(axis=0))
    if moving.sum() < 2:
        raise ArgumentError("fewer than two nodes change over the series: their phases are undefined")
    phases = np.angle(hilbert(centred[:, moving], axis=0))
    return np.abs(np.mean(np.exp(1j * phases), axis=1))
