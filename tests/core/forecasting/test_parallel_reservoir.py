"""Parallel local reservoirs (Pathak et al. 2018): the ring's neighbourhoods, and a forecast of
Kuramoto–Sivashinsky that stays valid for Lyapunov times."""

import numpy as np
import pytest

from core.dynamics import fields as F
from core.dynamics import metrics
from core.errors import ArgumentError
from core.forecasting.parallel_reservoir import ParallelReservoir
from core.systems import fields


def test_each_reservoir_reads_its_group_and_its_neighbours_round_the_ring():
    model = ParallelReservoir(groups=4, overlap=2, units=20)
    model._layout(16)
    assert model.owned_.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    assert model.neighbourhoods_[0].tolist() == [14, 15, 0, 1, 2, 3, 4, 5]  # periodic on the left
    assert model.neighbourhoods_[3].tolist() == [10, 11, 12, 13, 14, 15, 0, 1]
    # every neighbourhood position feeds the same number of units (Pathak et al.'s W_in)
    assert np.bincount(model.feed_).min() >= 20 // 8
    with pytest.raises(ArgumentError, match="do not split 15 sites"):
        model._layout(15)


def test_a_kuramoto_sivashinsky_forecast_stays_valid_for_lyapunov_times():
    ks = fields.get("KuramotoSivashinsky")
    u = F.simulate(ks, 12_000, transient=500.0, seed=1).u
    train, test = u[:10_000], u[10_000:]
    model = ParallelReservoir(units=600).fit(train, ks.dt)
    vpts = [metrics.vpt(test[s + 100: s + 600], model.predict(test[s: s + 100], 500), ks.dt, 0.048,
                        scale=train.std(axis=0)) for s in (0, 500, 1000, 1400)]
    # (4.8, 2.8, 4.5, 3.4) Lyapunov times at this size; the benchmark's 1000 units and 20 000 steps give more
    assert np.median(vpts) > 2.5 and min(vpts) > 1.5, vpts
    persistence = metrics.vpt(test[100:600], np.repeat(test[99:100], 500, axis=0), ks.dt, 0.048,
                              scale=train.std(axis=0))
    assert min(vpts) > 3 * persistence
    forecast = model.predict(test[:100], 50)
    assert forecast.shape == (50, 64) and np.all(np.isfinite(forecast))
