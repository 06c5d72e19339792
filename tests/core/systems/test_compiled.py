"""core.systems.compiled: one right-hand side, two compiled forms, cached on disk and keyed on its source."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.systems import compiled
from core.systems.compiled import RhsSource


def _write_module(path, body: str) -> None:
    path.write_text(textwrap.dedent(body))
    importlib.invalidate_caches()


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A module of our own on sys.path and an empty kernel cache."""
    monkeypatch.setenv("CHAOSLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(compiled, "_kernels", OrderedDict())
    yield tmp_path
    sys.modules.pop("scratch_rhs", None)


SOURCE = RhsSource(module="scratch_rhs", qualname="decay", convention="scalar", dim=2,
                   param_shapes=(("k", ()),), time_arg="t")


def _evaluate(kernel, x, k):
    return compiled.evaluate(kernel, np.array(x, dtype=float), np.array([k], dtype=float), 0.0, np.empty(2))


def test_both_forms_compute_the_right_hand_side(scratch):
    _write_module(scratch / "scratch_rhs.py", """
        def decay(x, y, t, k):
            return -k * x, -2 * k * y
    """)
    kernels = compiled.kernels(SOURCE)
    assert _evaluate(kernels.pointer, [1.0, 2.0], 0.5) == pytest.approx([-0.5, -2.0])
    out = np.empty(2)
    kernels.jit(0.0, np.array([1.0, 2.0]), np.array([0.5]), out)
    assert out == pytest.approx([-0.5, -2.0])


def test_the_cache_key_changes_when_the_right_hand_side_changes(scratch):
    module = scratch / "scratch_rhs.py"
    _write_module(module, """
        def decay(x, y, t, k):
            return -k * x, -k * y
    """)
    compiled.kernels(SOURCE)
    first = {p.name for p in compiled.cache_dir().glob("rhs_decay_*.py")}
    assert len(first) == 1

    # the same source again: the same file, no new one
    compiled._kernels.clear()
    compiled.kernels(SOURCE)
    assert {p.name for p in compiled.cache_dir().glob("rhs_decay_*.py")} == first

    # an edited right-hand side (same name, same signature) must not load the old machine code
    _write_module(module, """
        def decay(x, y, t, k):
            return -3 * k * x, -3 * k * y
    """)
    sys.modules.pop("scratch_rhs", None)
    compiled._kernels.clear()
    kernels = compiled.kernels(SOURCE)
    files = {p.name for p in compiled.cache_dir().glob("rhs_decay_*.py")}
    assert len(files) == 2 and first < files
    assert _evaluate(kernels.pointer, [1.0, 1.0], 1.0) == pytest.approx([-3.0, -3.0])


def test_a_parameter_the_function_does_not_take_is_refused(scratch):
    _write_module(scratch / "scratch_rhs.py", """
        def decay(x, y, t, k):
            return -k * x, -k * y
    """)
    wrong = RhsSource(module="scratch_rhs", qualname="decay", convention="scalar", dim=2,
                      param_shapes=(("k", ()), ("q", ())), time_arg="t")
    with pytest.raises(TypeError, match="takes no parameter"):
        compiled.generate_source(wrong)


@pytest.mark.parametrize("name", ["Lorenz", "Henon", "Lorenz96", "MackeyGlass"])
def test_the_shared_and_the_specialised_integrators_give_the_same_numbers(name):
    # one engine (core.dynamics.runge_kutta), two compilations: the function pointer every system shares,
    # and a step numba specialises to this system with its right-hand side inlined
    system = systems.get(name)
    shared = integrate.trajectory(system, n=300, kernel="shared").x
    specialised = integrate.trajectory(system, n=300, kernel="specialised").x
    np.testing.assert_array_equal(shared, specialised)


def test_a_process_holds_a_bounded_number_of_typed_kernels_and_reloads_one_it_let_go(scratch, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_TYPED_KERNELS", 2)
    typed = [systems.custom(f"dx = -{k} * x + y\ndy = -x") for k in (1, 2, 3)]
    x, p = np.array([1.0, 0.5]), np.empty(0)
    first = compiled.evaluate(compiled.kernels(typed[0].source).pointer, x, p, 0.0, np.empty(2))
    for system in typed[1:]:
        compiled.kernels(system.source).pointer
    held = [s for s in compiled._kernels if s.code is not None]
    assert held == [typed[1].source, typed[2].source]  # the least recently used went first
    assert typed[0].source.module not in sys.modules
    again = compiled.evaluate(compiled.kernels(typed[0].source).pointer, x, p, 0.0, np.empty(2))
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(first, [-1.0 + 0.5, -1.0])
    assert [s for s in compiled._kernels if s.code is not None] == [typed[2].source, typed[0].source]


def test_every_dysts_jacobian_is_compiled_without_lists_and_gives_dysts_numbers():
    """allocation_free rewrites each catalog Jacobian's rows from lists to tuples (a heap
    allocation per row and call less); the compiled kernel still equals dysts's own function."""
    import inspect

    checked = 0
    for name in systems.names():
        system = systems.get(name)
        if system.jacobian_source is None:
            continue
        own = compiled._resolve(system.jacobian_source)
        assert compiled.allocation_free(own) is not own, name
        d = system.state_dim
        x = np.asarray(system.ic, dtype=float) + 0.1
        kernel = np.empty(d * d)
        compiled.evaluate(system.jacobian_kernel, x, system.param_vector, 0.0, kernel)
        names = list(inspect.signature(own.py_func).parameters)[d + 1:]
        dysts = np.array(own(*x, 0.0, *[system.params[k] for k in names]), dtype=float).ravel()
        np.testing.assert_allclose(kernel, dysts, rtol=1e-12, atol=1e-12, err_msg=name)
        checked += 1
    assert checked >= 50


def test_a_function_that_changes_its_lists_is_not_rewritten():
    def grows(x, t):
        row = [x, 0.0]
        row[1] = 2.0 * x
        return row, row

    def plain(x, t):
        row = [x, 2.0 * x]
        return row, [0.0, 1.0]

    assert compiled.allocation_free(grows) is grows
    rewritten = compiled.allocation_free(plain)
    assert rewritten is not plain and rewritten(3.0, 0.0) == ((3.0, 6.0), (0.0, 1.0))
