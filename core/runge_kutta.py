"""Explicit Runge–Kutta methods as data: Butcher tableaux, one step, error norm, step size, dense output.

Shaped after torchdiffeq's ``rk_common``: a tableau record, one ``runge_kutta_step`` and separate
helpers for the error ratio, the step-size factor and the interpolant, here compiled with numba
(which passes a namedtuple of arrays as one argument). Every integrator of ``core`` steps through
them: flows and ensembles (``core.integrate``), delay equations, and tangent dynamics
(``core.lyapunov``, whose augmented right-hand side is one more thing ``call_rhs`` can call).

The right-hand side ``f`` of a step is either the C function pointer every system shares
(``System.rhs_kernel``: one compiled integrator serves the whole catalog) or the system's own
jitted function (``System.rhs_jit``: numba compiles a step specialised to it and inlines the
right-hand side, several times faster on cheap systems, at a compile on first use). The helpers
are inlined into the integrators that call them (``inline="always"``), so each integrator is one
compiled unit, whichever right-hand side it was compiled for.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import carray, njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload
from scipy.integrate._ivp import dop853_coefficients as _dop853


class Tableau(NamedTuple):
    """A Butcher tableau: the first ``len(b)`` rows of ``a``/``c`` take a step, any further rows
    feed the dense output ``dense`` (DOP853's 7th-order interpolant); ``e3``/``e5`` weigh the
    stages of an error estimate (empty for fixed-step methods).

    An integrator reads the arrays out of the record once, before its loop, and hands them to
    the helpers below: each read of an array from a record is a reference count, and between
    two calls of a right-hand side through a pointer those counts cost more than the arithmetic.
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    order: int
    e3: np.ndarray
    e5: np.ndarray
    dense: np.ndarray

    @property
    def stages(self) -> int:
        return len(self.b)


def _tableau(a, b, c, order, e3=(), e5=(), dense=None) -> Tableau:
    array = lambda v: np.ascontiguousarray(v, dtype=np.float64)
    return Tableau(array(a), array(b), array(c), order, array(e3), array(e5),
                   array(dense) if dense is not None else np.zeros((0, len(b))))


# classical fourth-order Runge–Kutta (Kutta 1901)
RK4 = _tableau([[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 1, 0]], [1 / 6, 1 / 3, 1 / 3, 1 / 6],
               [0, 0.5, 0.5, 1], 4)

# Heun's method; with additive noise entering each stage in proportion to c it is the stochastic
# Heun scheme (strong order 1 for additive noise; Kloeden & Platen 1992)
HEUN = _tableau([[0, 0], [1, 0]], [0.5, 0.5], [0, 1], 2)

# Dormand & Prince's 8(5,3) pair with its 7th-order dense output (Hairer, Nørsett & Wanner,
# Solving ODEs I, §II.5 and II.10), coefficients as scipy ships them: 12 stages, 4 more for the
# interpolant
DOP853 = _tableau(_dop853.A, _dop853.B, _dop853.C, 8, _dop853.E3, _dop853.E5, _dop853.D)


# ---------------------------------------------------------------------------------------------
# Calling a right-hand side: a shared function pointer, a jitted function, or a tangent field


def call_rhs(f, t, x, p, K, row):
    """``K[row] = f(t, x)`` with parameters ``p``. In compiled code the overloads below are what
    runs; from Python (a test, a notebook) the same call works on both kinds of right-hand side."""
    from numba.core.ccallback import CFunc

    from core.compiled import evaluate

    if isinstance(f, CFunc):
        evaluate(f, np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(p, dtype=float), t, K[row])
    else:
        f(t, x, p, K[row])


@intrinsic
def _row_pointer(typingctx, array, row):
    """A pointer to ``array[row, 0]``: hands a row to a C function without making a view."""

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        zero = ir.Constant(ir.IntType(64), 0)
        return cgutils.get_item_pointer(context, builder, sig.args[0], ary, [index, zero], wraparound=False)

    return types.CPointer(types.float64)(array, row), codegen


@overload(call_rhs, inline="always")
def _call_rhs(f, t, x, p, K, row):
    if isinstance(f, types.FunctionType):
        def shared(f, t, x, p, K, row):
            f(t, x.ctypes, p.ctypes, _row_pointer(K, row))
        return shared
    if isinstance(f, types.Dispatcher):
        def specialised(f, t, x, p, K, row):
            f(t, x, p, K[row])
        return specialised
    return None  # other fields register their own overload (core.lyapunov's tangent dynamics)


# ---------------------------------------------------------------------------------------------
# Work space

STACK_LIMIT = 1 << 15  # doubles (256 KiB) of work space on the stack; more goes on the heap


@intrinsic
def _stack_buffer(typingctx, size):
    def codegen(context, builder, sig, args):
        return builder.alloca(context.get_value_type(types.float64), size=args[0])

    return types.CPointer(types.float64)(types.intp), codegen


@njit(inline="always", nogil=True)
def scratch(rows, cols):
    """Work space ``(rows, cols)`` for an integrator's stages, on the integrator's stack frame:
    unlike a NumPy array it carries no reference count, whose updates around every call of a
    right-hand side through a pointer cost as much as the step itself (10^6 Lorenz RK4 steps:
    0.19 s with heap arrays, 0.09 s with these). Call it once per integrator call, outside loops:
    the stack is released only when the integrator returns."""
    n = rows * cols
    if n <= STACK_LIMIT:
        return carray(_stack_buffer(n), (rows, cols))
    return np.empty((rows, cols))


# ---------------------------------------------------------------------------------------------
# One step and its helpers


@njit(inline="always", nogil=True)
def stages(f, a, c, x, p, t, h, K, y, first, last, dw, noisy):
    """Stages ``K[first:last]`` of the tableau ``(a, c)`` from the rows before them; with
    ``noisy``, the additive noise increment ``dw`` enters stage ``s`` as ``c[s] dw``."""
    for s in range(first, last):
        for i in range(x.shape[0]):
            acc = 0.0
            for j in range(s):
                acc += a[s, j] * K[j, i]
            y[i] = x[i] + h * acc
            if noisy:
                y[i] += c[s] * dw[i]
        call_rhs(f, t + c[s] * h, y, p, K, s)


@njit(inline="always", nogil=True)
def runge_kutta_step(f, a, b, c, x, p, t, h, K, y, x_new, dw, noisy):
    """One step of the tableau ``(a, b, c)`` from ``(t, x)`` into ``x_new``, given
    ``K[0] = f(t, x)`` (so methods whose last stage is the next step's first pay for it once).
    ``x_new`` may be ``x`` itself: each coordinate is read before it is written."""
    s = b.shape[0]
    stages(f, a, c, x, p, t, h, K, y, 1, s, dw, noisy)
    for i in range(x.shape[0]):
        acc = 0.0
        for j in range(s):
            acc += b[j] * K[j, i]
        x_new[i] = x[i] + h * acc
        if noisy:
            x_new[i] += dw[i]


@njit(inline="always", nogil=True)
def error_ratio(e3, e5, K, x, x_new, h, rtol, atol):
    """DOP853's error norm (Hairer's blend of its 5th- and 3rd-order estimates), in units of the
    tolerance: a step is accepted when it is below 1. Needs ``K[stages] = f(t + h, x_new)``."""
    d = x.shape[0]
    n5, n3 = 0.0, 0.0
    for i in range(d):
        scale = atol + max(abs(x[i]), abs(x_new[i])) * rtol
        a3, a5 = 0.0, 0.0
        for j in range(e5.shape[0]):
            a3 += e3[j] * K[j, i]
            a5 += e5[j] * K[j, i]
        n3 += (a3 / scale) ** 2
        n5 += (a5 / scale) ** 2
    if n5 == 0.0 and n3 == 0.0:
        return 0.0
    error = abs(h) * n5 / math.sqrt((n5 + 0.01 * n3) * d)
    return error if np.isfinite(error) else 1e10


@njit(inline="always", nogil=True)
def step_factor(error, order, rejected_last):
    """Factor for the next step from this one's error ratio (safety 0.9, growth capped at 10 and at
    1 right after a rejection, shrink at most 5×)."""
    if error >= 1.0:
        return max(0.2, 0.9 * error ** (-1.0 / order))
    factor = 10.0 if error == 0.0 else min(10.0, 0.9 * error ** (-1.0 / order))
    return min(1.0, factor) if rejected_last else factor


@njit(inline="always", nogil=True)
def initial_step(f, order, x, p, t, K, y, rtol, atol):
    """A first step size from ``K[0] = f(t, x)`` (Hairer, Nørsett & Wanner 1993, §II.4)."""
    d = x.shape[0]
    d0, d1 = 0.0, 0.0
    for i in range(d):
        scale = atol + abs(x[i]) * rtol
        d0 += (x[i] / scale) ** 2
        d1 += (K[0, i] / scale) ** 2
    d0, d1 = math.sqrt(d0 / d), math.sqrt(d1 / d)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    if not h0 > 0.0:  # a huge derivative: let the step control meet the failure with a reason
        return 1e-300
    for i in range(d):
        y[i] = x[i] + h0 * K[0, i]
    call_rhs(f, t + h0, y, p, K, 1)
    d2 = 0.0
    for i in range(d):
        d2 += ((K[1, i] - K[0, i]) / (atol + abs(x[i]) * rtol)) ** 2
    d2 = math.sqrt(d2 / d) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / order)
    return min(100.0 * h0, h1)


@njit(inline="always", nogil=True)
def dense_coefficients(f, a, c, s, dense, x, x_new, p, t, h, K, y, F):
    """The interpolant of an accepted step over ``[t, t + h]`` into ``F`` (DOP853's 7th-order
    dense output: the stages after the ``s`` of the step and its error stage, then seven
    coefficient rows)."""
    stages(f, a, c, x, p, t, h, K, y, s + 1, a.shape[0], y, False)
    for i in range(x.shape[0]):
        dy = x_new[i] - x[i]
        F[0, i] = dy
        F[1, i] = h * K[0, i] - dy
        F[2, i] = 2.0 * dy - h * (K[s, i] + K[0, i])
        for r in range(dense.shape[0]):
            acc = 0.0
            for j in range(dense.shape[1]):
                acc += dense[r, j] * K[j, i]
            F[3 + r, i] = h * acc


@njit(inline="always", nogil=True)
def interpolate(F, x, theta, out):
    """The dense output at ``t + theta h`` (Horner's scheme over DOP853's alternating factors)."""
    n = F.shape[0]
    for i in range(x.shape[0]):
        v = 0.0
        for r in range(n - 1, -1, -1):
            v += F[r, i]
            v *= theta if (n - 1 - r) % 2 == 0 else 1.0 - theta
        out[i] = x[i] + v


def step_numpy(f, tab: Tableau, x: np.ndarray, h: float) -> np.ndarray:
    """One step of ``tab`` for a NumPy right-hand side ``f(x)`` (autonomous), vectorised over any
    leading axes of ``x``: the same tableau, for fields that are not compiled (fitted models)."""
    K = [f(x)]
    for s in range(1, tab.stages):
        K.append(f(x + h * sum(tab.a[s, j] * K[j] for j in range(s) if tab.a[s, j] != 0.0)))
    return x + h * sum(b * k for b, k in zip(tab.b, K))
