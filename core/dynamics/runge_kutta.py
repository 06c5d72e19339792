"""Explicit Runge–Kutta methods as data: Butcher tableaux, one step, error norm, step size, dense output.

Shaped after torchdiffeq's ``rk_common``: a tableau record, one ``runge_kutta_step`` and separate
helpers for the error ratio, the step-size factor and the interpolant, here compiled with numba
(which passes a namedtuple of arrays as one argument). Every integrator of ``core`` steps through
them: flows and ensembles (``core.dynamics.integrate``) and delay equations; the tangent
dynamics of ``core.dynamics.lyapunov`` write classical RK4 out on flat indices, with this module's
raw pointers (``data_pointer``, ``row_pointer``) and ``scratch``.

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

# Dormand & Prince's 8(5,3) pair with its 7th-order dense output, as data: the PARAMETER blocks of
# DP86CO in Hairer's dop853.f (version of 25 April 1996; the code of Hairer, Nørsett & Wanner,
# Solving Ordinary Differential Equations I, 2nd ed. 1993, §II.5 and §II.10). Indices are Hairer's
# stage numbers (1-based): stages 1–12 take a step, stage 13 is f(t + h, x_new) (the next step's
# first), 14–16 feed the interpolant. tests/core/dynamics/test_runge_kutta.py checks them against scipy's.
_DOP853_C = {
    2: 0.526001519587677318785587544488e-01, 3: 0.789002279381515978178381316732e-01,
    4: 0.118350341907227396726757197510e+00, 5: 0.281649658092772603273242802490e+00,
    6: 0.333333333333333333333333333333e+00, 7: 0.25e+00, 8: 0.307692307692307692307692307692e+00,
    9: 0.651282051282051282051282051282e+00, 10: 0.6e+00, 11: 0.857142857142857142857142857142e+00,
    12: 1.0, 13: 1.0, 14: 0.1e+00, 15: 0.2e+00, 16: 0.777777777777777777777777777778e+00,
}
_DOP853_A = {
    (2, 1): 5.26001519587677318785587544488e-2,
    (3, 1): 1.97250569845378994544595329183e-2, (3, 2): 5.91751709536136983633785987549e-2,
    (4, 1): 2.95875854768068491816892993775e-2, (4, 3): 8.87627564304205475450678981324e-2,
    (5, 1): 2.41365134159266685502369798665e-1, (5, 3): -8.84549479328286085344864962717e-1,
    (5, 4): 9.24834003261792003115737966543e-1,
    (6, 1): 3.7037037037037037037037037037e-2, (6, 4): 1.70828608729473871279604482173e-1,
    (6, 5): 1.25467687566822425016691814123e-1,
    (7, 1): 3.7109375e-2, (7, 4): 1.70252211019544039314978060272e-1, (7, 5): 6.02165389804559606850219397283e-2,
    (7, 6): -1.7578125e-2,
    (8, 1): 3.70920001185047927108779319836e-2, (8, 4): 1.70383925712239993810214054705e-1,
    (8, 5): 1.07262030446373284651809199168e-1, (8, 6): -1.53194377486244017527936158236e-2,
    (8, 7): 8.27378916381402288758473766002e-3,
    (9, 1): 6.24110958716075717114429577812e-1, (9, 4): -3.36089262944694129406857109825e0,
    (9, 5): -8.68219346841726006818189891453e-1, (9, 6): 2.75920996994467083049415600797e1,
    (9, 7): 2.01540675504778934086186788979e1, (9, 8): -4.34898841810699588477366255144e1,
    (10, 1): 4.77662536438264365890433908527e-1, (10, 4): -2.48811461997166764192642586468e0,
    (10, 5): -5.90290826836842996371446475743e-1, (10, 6): 2.12300514481811942347288949897e1,
    (10, 7): 1.52792336328824235832596922938e1, (10, 8): -3.32882109689848629194453265587e1,
    (10, 9): -2.03312017085086261358222928593e-2,
    (11, 1): -9.3714243008598732571704021658e-1, (11, 4): 5.18637242884406370830023853209e0,
    (11, 5): 1.09143734899672957818500254654e0, (11, 6): -8.14978701074692612513997267357e0,
    (11, 7): -1.85200656599969598641566180701e1, (11, 8): 2.27394870993505042818970056734e1,
    (11, 9): 2.49360555267965238987089396762e0, (11, 10): -3.0467644718982195003823669022e0,
    (12, 1): 2.27331014751653820792359768449e0, (12, 4): -1.05344954667372501984066689879e1,
    (12, 5): -2.00087205822486249909675718444e0, (12, 6): -1.79589318631187989172765950534e1,
    (12, 7): 2.79488845294199600508499808837e1, (12, 8): -2.85899827713502369474065508674e0,
    (12, 9): -8.87285693353062954433549289258e0, (12, 10): 1.23605671757943030647266201528e1,
    (12, 11): 6.43392746015763530355970484046e-1,
    (14, 1): 5.61675022830479523392909219681e-2, (14, 7): 2.53500210216624811088794765333e-1,
    (14, 8): -2.46239037470802489917441475441e-1, (14, 9): -1.24191423263816360469010140626e-1,
    (14, 10): 1.5329179827876569731206322685e-1, (14, 11): 8.20105229563468988491666602057e-3,
    (14, 12): 7.56789766054569976138603589584e-3, (14, 13): -8.298e-3,
    (15, 1): 3.18346481635021405060768473261e-2, (15, 6): 2.83009096723667755288322961402e-2,
    (15, 7): 5.35419883074385676223797384372e-2, (15, 8): -5.49237485713909884646569340306e-2,
    (15, 11): -1.08347328697249322858509316994e-4, (15, 12): 3.82571090835658412954920192323e-4,
    (15, 13): -3.40465008687404560802977114492e-4, (15, 14): 1.41312443674632500278074618366e-1,
    (16, 1): -4.28896301583791923408573538692e-1, (16, 6): -4.69762141536116384314449447206e0,
    (16, 7): 7.68342119606259904184240953878e0, (16, 8): 4.06898981839711007970213554331e0,
    (16, 9): 3.56727187455281109270669543021e-1, (16, 13): -1.39902416515901462129418009734e-3,
    (16, 14): 2.9475147891527723389556272149e0, (16, 15): -9.15095847217987001081870187138e0,
}
_DOP853_B = {
    1: 5.42937341165687622380535766363e-2, 6: 4.45031289275240888144113950566e0,
    7: 1.89151789931450038304281599044e0, 8: -5.8012039600105847814672114227e0,
    9: 3.1116436695781989440891606237e-1, 10: -1.52160949662516078556178806805e-1,
    11: 2.01365400804030348374776537501e-1, 12: 4.47106157277725905176885569043e-2,
}
# the 3rd-order weights (the error estimate's second part is b - bhh) and the 5th-order error weights
_DOP853_BHH = {1: 0.244094488188976377952755905512e+00, 9: 0.733846688281611857341361741547e+00,
               12: 0.220588235294117647058823529412e-01}
_DOP853_ER = {
    1: 0.1312004499419488073250102996e-01, 6: -0.1225156446376204440720569753e+01,
    7: -0.4957589496572501915214079952e+00, 8: 0.1664377182454986536961530415e+01,
    9: -0.3503288487499736816886487290e+00, 10: 0.3341791187130174790297318841e+00,
    11: 0.8192320648511571246570742613e-01, 12: -0.2235530786388629525884427845e-01,
}
# the interpolant's rows d4..d7 (CONT(5..8) of dop853.f), over stages 1, 6–16
_DOP853_D = {
    4: {1: -0.84289382761090128651353491142e+01, 6: 0.56671495351937776962531783590e+00,
        7: -0.30689499459498916912797304727e+01, 8: 0.23846676565120698287728149680e+01,
        9: 0.21170345824450282767155149946e+01, 10: -0.87139158377797299206789907490e+00,
        11: 0.22404374302607882758541771650e+01, 12: 0.63157877876946881815570249290e+00,
        13: -0.88990336451333310820698117400e-01, 14: 0.18148505520854727256656404962e+02,
        15: -0.91946323924783554000451984436e+01, 16: -0.44360363875948939664310572000e+01},
    5: {1: 0.10427508642579134603413151009e+02, 6: 0.24228349177525818288430175319e+03,
        7: 0.16520045171727028198505394887e+03, 8: -0.37454675472269020279518312152e+03,
        9: -0.22113666853125306036270938578e+02, 10: 0.77334326684722638389603898808e+01,
        11: -0.30674084731089398182061213626e+02, 12: -0.93321305264302278729567221706e+01,
        13: 0.15697238121770843886131091075e+02, 14: -0.31139403219565177677282850411e+02,
        15: -0.93529243588444783865713862664e+01, 16: 0.35816841486394083752465898540e+02},
    6: {1: 0.19985053242002433820987653617e+02, 6: -0.38703730874935176555105901742e+03,
        7: -0.18917813819516756882830838328e+03, 8: 0.52780815920542364900561016686e+03,
        9: -0.11573902539959630126141871134e+02, 10: 0.68812326946963000169666922661e+01,
        11: -0.10006050966910838403183860980e+01, 12: 0.77771377980534432092869265740e+00,
        13: -0.27782057523535084065932004339e+01, 14: -0.60196695231264120758267380846e+02,
        15: 0.84320405506677161018159903784e+02, 16: 0.11992291136182789328035130030e+02},
    7: {1: -0.25693933462703749003312586129e+02, 6: -0.15418974869023643374053993627e+03,
        7: -0.23152937917604549567536039109e+03, 8: 0.35763911791061412378285349910e+03,
        9: 0.93405324183624310003907691704e+02, 10: -0.37458323136451633156875139351e+02,
        11: 0.10409964950896230045147246184e+03, 12: 0.29840293426660503123344363579e+02,
        13: -0.43533456590011143754432175058e+02, 14: 0.96324553959188282948394950600e+02,
        15: -0.39177261675615439165231486172e+02, 16: -0.14972683625798562581422125276e+03},
}


def _dop853() -> Tableau:
    """The tableau in this module's layout: ``a`` 16 × 16 with row 13 the step's own weights (stage
    13 is evaluated at the new state), ``e3 = b − bhh`` and ``e5 = er`` over the 13 stages the error
    norm reads, the interpolant's four rows over all 16."""
    a, b, c = np.zeros((16, 16)), np.zeros(12), np.zeros(16)
    for (i, j), value in _DOP853_A.items():
        a[i - 1, j - 1] = value
    for i, value in _DOP853_C.items():
        c[i - 1] = value
    for i, value in _DOP853_B.items():
        b[i - 1] = value
    a[12, :12] = b
    e3, e5 = np.append(b, 0.0), np.zeros(13)
    for i, value in _DOP853_BHH.items():
        e3[i - 1] -= value
    for i, value in _DOP853_ER.items():
        e5[i - 1] = value
    dense = np.zeros((4, 16))
    for row, weights in _DOP853_D.items():
        for j, value in weights.items():
            dense[row - 4, j - 1] = value
    return _tableau(a, b, c, 8, e3, e5, dense)


DOP853 = _dop853()


# ---------------------------------------------------------------------------------------------
# Calling a right-hand side: a shared function pointer or a jitted function


def call_rhs(f, t, x, p, K, row):
    """``K[row] = f(t, x)`` with parameters ``p``. In compiled code the overloads below are what
    runs; from Python (a test, a notebook) the same call works on both kinds of right-hand side."""
    from numba.core.ccallback import CFunc

    from core.systems.compiled import evaluate

    if isinstance(f, CFunc):
        evaluate(f, np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(p, dtype=float), t, K[row])
    else:
        f(t, x, p, K[row])


@intrinsic
def row_pointer(typingctx, array, row):
    """A pointer to ``array[row, 0]``: hands a row to a C function without making a view."""

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        zero = ir.Constant(ir.IntType(64), 0)
        return cgutils.get_item_pointer(context, builder, sig.args[0], ary, [index, zero], wraparound=False)

    return types.CPointer(types.float64)(array, row), codegen


@intrinsic
def data_pointer(typingctx, array):
    """A pointer to a contiguous array's first element (``array.ctypes.data`` without building
    the ctypes object, whose reference count numba updates around every call)."""

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data

    return types.CPointer(types.float64)(array), codegen


@overload(call_rhs, inline="always")
def _call_rhs(f, t, x, p, K, row):
    if isinstance(f, types.FunctionType):
        def shared(f, t, x, p, K, row):
            f(t, x.ctypes, p.ctypes, row_pointer(K, row))
        return shared
    if isinstance(f, types.Dispatcher):
        def specialised(f, t, x, p, K, row):
            f(t, x, p, K[row])
        return specialised
    return None


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
