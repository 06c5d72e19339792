"""The butterfly animation's numerics: chunks that join up exactly, separations that grow at λ1,
the return map of a one-dimensional map, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.pictures import textbook


def test_separation_is_the_distance_for_two_members_and_the_geometric_mean_for_more():
    x = np.zeros((3, 2, 2))
    x[1, :, 0] = [1e-3, 1e-1]
    x[2, :, 1] = [1e-5, 1e-3]
    assert np.allclose(textbook.separation(x[:2]), [1e-3, 1e-1])
    assert np.allclose(textbook.separation(x), [1e-4, 1e-2])  # sqrt(1e-3 * 1e-5), sqrt(1e-1 * 1e-3)


def test_chunks_continue_exactly_where_the_last_ended_and_separate_at_lambda_1():
    lorenz = systems.get("Lorenz")
    start = textbook.butterfly_start(lorenz, members=50, distance=1e-8, seed=3)
    assert start.states.shape == (50, 3)
    assert np.allclose(np.linalg.norm(start.states[1:] - start.states[0], axis=1), 1e-8)
    first = textbook.butterfly_frames(lorenz, start.states, 0.0, 300, start.step, start.camera)
    second = textbook.butterfly_frames(lorenz, first.states, first.t[-1] + start.step, 300, start.step, start.camera)
    whole = integrate.ensemble(lorenz, start.states, n=601, dt=start.step)
    assert np.allclose(second.t, start.step * np.arange(300, 600))
    screen = start.camera.points(whole[:, 300:600]).transpose(1, 0, 2)
    assert np.allclose(second.positions, screen, atol=1e-4)  # float32 screen points of the same run
    t = np.concatenate([first.t, second.t])
    d = np.concatenate([first.separation, second.separation])
    # log-separation grows at λ1 (0.906 for Lorenz, Sprott's table) while it is small
    small = (t > 2) & (d < 1e-3)
    slope = np.polyfit(t[small], np.log(d[small]), 1)[0]
    assert abs(slope - 0.906) < 0.25, slope
    assert first.lost == 0 and start.lyapunov == pytest.approx(0.906, rel=0.02)
    assert start.background.index is not None and (start.background.index != 0).any()


def test_a_one_dimensional_map_is_shown_on_its_return_map():
    logistic = systems.get("Logistic")
    start = textbook.butterfly_start(logistic, members=3, distance=1e-6)
    frames = textbook.butterfly_frames(logistic, start.states, 0.0, 20, start.step, start.camera)
    x = frames.positions
    assert x.shape == (20, 3, 2) and start.step == 1.0
    r = logistic.params["r"]
    assert np.allclose(x[:, :, 1], r * x[:, :, 0] * (1 - x[:, :, 0]), atol=1e-6)  # (x_k, x_{k+1} = f(x_k))
    assert np.allclose(x[1:, :, 0], x[:-1, :, 1])


def test_a_non_chaotic_system_says_so_and_bad_requests_are_refused():
    periodic = systems.vary(systems.get("Logistic"), r=3.2)
    start = textbook.butterfly_start(periodic, members=2, distance=1e-3)
    assert start.lyapunov is None and "not chaotic" in start.lyapunov_note
    with pytest.raises(ValueError, match="members"):
        textbook.butterfly_start(systems.get("Lorenz"), members=1)
    with pytest.raises(ValueError, match="members"):
        textbook.butterfly_start(systems.get("Lorenz"), members=10**5)
    with pytest.raises(ValueError, match="distance"):
        textbook.butterfly_start(systems.get("Lorenz"), distance=0.0)
    with pytest.raises(ValueError, match="delay"):
        textbook.butterfly_start(systems.get("MackeyGlass"))
    assert textbook.chunk_frames(10_000, 400) == textbook.CHUNK_BYTES // 80_000  # bounded bytes per chunk


def test_cobweb_iterates_are_direct_iteration_for_a_1d_map_and_chialvos_fast_variable():
    logistic = systems.get("Logistic")
    web = textbook.cobweb(logistic, 0.2, steps=30)
    orbit = integrate.trajectory(logistic, n=31, ic=[0.2]).x[:, 0]
    assert np.allclose(web.iterates, orbit, rtol=1e-12)
    assert np.allclose(web.graph, 3.9 * web.grid * (1 - web.grid))
    assert np.allclose(web.path_y[1::2], web.iterates[1:])  # vertical to the graph: (x_k, x_{k+1})
    # Chialvo (1995): x' = x² e^(y - x) + k, y' = a y - b x + c; the cobweb follows x
    chialvo = systems.get("Chialvo")
    web = textbook.cobweb(chialvo, 0.5, steps=25, coordinate=0)
    state = web.frozen.copy()
    assert state[0] == 0.5
    orbit = integrate.trajectory(chialvo, n=26, ic=state).x[:, 0]
    assert np.allclose(web.iterates, orbit, rtol=1e-12)
    k, y = chialvo.params["k"], web.frozen[1]
    assert np.allclose(web.graph, web.grid**2 * np.exp(y - web.grid) + k)  # y held at its starting value
    with pytest.raises(ValueError, match="coordinate"):
        textbook.cobweb(chialvo, 0.5, coordinate=2)
    with pytest.raises(ValueError, match="maps"):
        textbook.cobweb(systems.get("Lorenz"), 0.5)
