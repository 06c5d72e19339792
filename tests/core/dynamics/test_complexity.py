"""The 0–1 test, sample entropy and synchrony measures against known values."""

import numpy as np
import pytest
from scipy.special import erf

from core import systems
from core.dynamics import complexity, integrate
from core.errors import ArgumentError


def logistic(r: float, n: int = 5000) -> np.ndarray:
    """The catalog's logistic map at ``r`` after a transient of 1000 iterates."""
    return integrate.trajectory(systems.get("Logistic", r=r), n=n, transient=1000).x[:, 0]


def test_the_zero_one_test_tells_chaos_from_order():
    # Gottwald & Melbourne (2004): K → 1 for chaos, → 0 for regular dynamics
    assert complexity.zero_one_test(logistic(4.0)) > 0.9
    assert complexity.zero_one_test(logistic(3.97)) > 0.9
    assert complexity.zero_one_test(logistic(3.5)) < 0.1  # period 4
    assert complexity.zero_one_test(logistic(3.83)) < 0.1  # the period-3 window
    # a flow, sampled near its dominant period (finely sampled, any flow reads as regular)
    lorenz = systems.get("Lorenz")
    x = integrate.trajectory(lorenz, n=3000, dt=0.3, transient=100).x[:, 0]
    assert complexity.zero_one_test(x) > 0.8
    circle = np.sin(0.3 * np.arange(3000)) + 0.5 * np.sin(0.3 * np.sqrt(2) * np.arange(3000))  # quasiperiodic
    assert complexity.zero_one_test(circle) < 0.2


def test_sample_entropy_of_white_noise_and_of_a_sine():
    # i.i.d. Gaussian noise: A/B = P(|X − Y| ≤ r) with X − Y ~ N(0, 2σ²) and r = 0.2σ: erf(0.1)
    noise = np.random.default_rng(0).standard_normal(3000)
    expected = -np.log(erf(0.1))
    assert expected == pytest.approx(2.185, abs=1e-3)
    assert complexity.sample_entropy(noise) == pytest.approx(expected, rel=0.05)
    sine = np.sin(2 * np.pi * np.arange(3000) / 50)
    assert complexity.sample_entropy(sine) < 0.4  # a regular signal repeats its templates
    assert complexity.sample_entropy(logistic(4.0, 2000)) == pytest.approx(0.69, abs=0.1)  # ln 2: one bit an iterate


def test_synchrony_of_identical_and_of_independent_nodes():
    t = np.arange(500)
    same = np.repeat(np.sin(0.1 * t)[:, None], 5, axis=1)
    assert np.allclose(complexity.synchronization_error(same), 0)
    assert np.allclose(complexity.cross_correlation(same), 1)
    rng = np.random.default_rng(1)
    apart = rng.standard_normal((5000, 4))
    # the nodes' variance about their mean is (n − 1)/n σ² for n independent nodes
    assert np.mean(complexity.synchronization_error(apart) ** 2) == pytest.approx(3 / 4, rel=0.05)
    corr = complexity.cross_correlation(apart)
    assert np.allclose(np.diag(corr), 1) and np.abs(corr - np.eye(4)).max() < 0.05
    still = np.column_stack([np.sin(0.1 * t), np.zeros(500)])
    assert complexity.cross_correlation(still)[0, 1] == 0.0


def test_bad_series_are_refused():
    with pytest.raises(ArgumentError, match="at least"):
        complexity.zero_one_test(np.ones(10))
    with pytest.raises(ArgumentError, match="NaN"):
        complexity.sample_entropy(np.array([1.0, np.nan] * 50))
    with pytest.raises(ArgumentError, match="undefined"):
        complexity.sample_entropy(np.random.default_rng(0).standard_normal(100), r=1e-9)
    with pytest.raises(ArgumentError, match="two nodes"):
        complexity.synchronization_error(np.ones((10, 1)))


def test_the_order_parameter_is_one_for_identical_phases_and_small_for_independent_ones():
    t = np.arange(2000) * 0.05
    same = np.column_stack([np.sin(t)] * 5)
    shifted = np.column_stack([np.sin(t + k * np.pi / 2) for k in range(4)])  # four phases evenly round
    noise = np.random.default_rng(0).standard_normal((4000, 100))
    assert np.mean(complexity.order_parameter(same)[100:-100]) > 0.999
    assert np.mean(complexity.order_parameter(shifted)[100:-100]) < 0.01
    assert 0.05 < np.mean(complexity.order_parameter(noise)) < 0.15  # about 1/√N, N = 100
    with pytest.raises(ArgumentError, match="fewer than two nodes change"):
        complexity.order_parameter(np.ones((100, 3)))
