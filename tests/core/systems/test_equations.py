"""Systems typed by hand: what the whitelist parser accepts and refuses, and that a typed system
integrates like the catalog's."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, lyapunov
from core.systems import equations
from core.systems.equations import EquationError

ROOT = Path(__file__).resolve().parents[3]
LORENZ = """dx = sigma*(y - x)
dy = x*(rho - z) - y
dz = x*y - beta*z
sigma = 10; rho = 28; beta = 2.667"""


@pytest.mark.parametrize("text, kind, variables, params", [
    (LORENZ, "flow", ("x", "y", "z"), {"sigma": 10.0, "rho": 28.0, "beta": 2.667}),
    ("dx/dt = -x + sin(t)", "flow", ("x",), {}),
    ("x' = r*x*(1 - x); r = 4", "map", ("x",), {"r": 4.0}),
    ("x' = 1 - a*x**2 + y\ny' = b*x\na = 1.4; b = 0.3", "map", ("x", "y"), {"a": 1.4, "b": 0.3}),
    ("dx = y; dy = -omega**2*x - 2*zeta*omega*y; omega = 2*pi; zeta = sqrt(2)/10", "flow", ("x", "y"),
     {"omega": 2 * math.pi, "zeta": math.sqrt(2) / 10}),
    ("du = max(u, 0) - min(u, 1) + abs(u) % 2 - sign(u)  # comments are fine\n", "flow", ("u",), {}),
])
def test_accepted(text, kind, variables, params):
    parsed = equations.parse(text)
    assert (parsed.kind, parsed.variables) == (kind, variables)
    assert parsed.params == pytest.approx(params)


@pytest.mark.parametrize("text, message", [
    ("dx = __import__('os').system('echo owned')", "__import__"),
    ("dx = x.real", "not allowed"),
    ("dx = x[0]", "not allowed"),
    ("dx = os", "unknown name 'os'"),
    ("dx = (lambda: 1)()", "not an allowed function"),
    ("dx = 1e999", "not a finite number"),
    ("dx = x**x**x**x**x", "tower of powers"),
    ("dx = " + "-(" * 60 + "x" + ")" * 60, "nested too deeply"),
    ("dx = r; r = 9**9**9", "not a finite number"),
    ("dx = " + "x+" * 10**6 + "x", "characters long"),
    ("dx = 'text'", "not a number"),
    ("dx = x if x > 0 else -x", "not allowed"),
    ("dx = exp(x, 2)", "takes 1 argument"),
    ("dx = sin", "must be called"),
    ("dx = exec('1')", "not an allowed function"),
    ("dx = sin(x=1)", "plain arguments"),
    ("dx = y", "unknown name 'y'"),
    ("dx = x; x' = x", "mixed"),
    ("dx = x; dx = -x", "two equations"),
    ("r = 3", "no equation"),
    ("dx = r*x; r = x", "unknown name 'x'"),
    ("dx = r*x; r = 1/0", "cannot be computed"),
    ("dx = r*x; r = 10**400", "not a finite number"),
    ("dx = x; t = 3", "reserved"),
    ("dx = x ==", "not an expression"),
    (12, "must be text"),
])
def test_refused_with_a_message_naming_the_problem(text, message):
    with pytest.raises(EquationError, match=message):
        equations.parse(text)


def test_the_generated_module_is_the_printed_syntax_tree_only():
    code = equations.parse("dx = sigma*sin(x) + pi; sigma = 2").python()
    assert "math.sin(x)" in code and "3.141592653589793" in code
    assert "import math" in code and "__" not in code.replace('"""', "")


def test_a_lorenz_typed_by_hand_is_the_catalogs():
    lorenz = systems.get("Lorenz")
    typed = systems.custom(LORENZ, ic=lorenz.ic)
    assert (typed.kind, typed.dim, typed.coordinate_names) == ("flow", 3, ("x", "y", "z"))
    ours = integrate.trajectory(typed, n=500, dt=0.01).x
    catalog = integrate.trajectory(lorenz, n=500, dt=0.01).x
    np.testing.assert_allclose(ours, catalog, rtol=1e-7, atol=1e-7)  # 5 time units: before chaos tells
    assert typed.rhs([1.0, 2.0, 3.0]) == pytest.approx(lorenz.rhs([1.0, 2.0, 3.0]))


def test_a_typed_map_has_the_lyapunov_exponent_of_theory():
    logistic = systems.custom("x' = r*x*(1 - x); r = 4", ic=[0.3])
    assert lyapunov.spectrum(logistic).max == pytest.approx(math.log(2), abs=0.01)  # conjugate to the tent map


def test_bad_initial_conditions_are_refused():
    with pytest.raises(EquationError, match="3 finite numbers"):
        systems.custom(LORENZ, ic=[1.0, 2.0])


def test_another_process_rebuilds_a_typed_system_from_its_pickle(tmp_path):
    # what a Dask worker does (on another machine: an empty kernel cache): it never saw the text,
    # only the System as Dask pickles it
    typed = systems.custom("dx = -k*x; k = 0.5", ic=[2.0])
    path = tmp_path / "system.pkl"
    path.write_bytes(cloudpickle.dumps(typed))
    code = (f"import pickle; from core.dynamics import integrate; s = pickle.load(open({str(path)!r}, 'rb'));"
            "print(integrate.trajectory(s, n=101, dt=0.02).x[-1, 0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "CHAOSLAB_CACHE": str(tmp_path / "fresh")}).stdout
    assert float(out.split()[-1]) == pytest.approx(2.0 * math.exp(-0.5 * 2.0), rel=1e-8)


def test_a_typed_text_is_parsed_once_and_a_bad_one_raises_every_time():
    text = "x' = r*x*(1 - x); r = 3.7"
    assert systems.typed(text) is systems.typed(text)  # remembered: the same immutable System
    assert systems.typed(text).params["r"] == 3.7
    for _ in range(2):
        with pytest.raises(EquationError):
            systems.typed("x' = x.real")
