"""Compilable right-hand sides for catalog systems that dysts writes as plain Python.

dysts declares most systems as a numba-compiled ``_rhs(x, y, z, t, *params)``. A few are
instance methods reading ``self`` (or use NumPy calls numba lacks, such as ``np.heaviside``),
which no compiled integrator can call. Each function here restates such a right-hand side, line
for line from dysts 0.96, in one of two calling conventions that ``core.systems.compiled`` understands:

* scalar: ``f(x, y, ..., t, p1, p2, ...)`` returns a tuple (the dysts convention);
* vector: ``f(X, t, out, p1, ...)`` writes ``out`` in place (for state vectors of any length).

Parameters are matched by *name*, so argument order need not follow dysts's sorted order. Our own
additions (the Chialvo and Rulkov neuron maps, Lorenz-96 of any size) live here too.
"""

import numpy as np
from numba import njit

# ---------------------------------------------------------------------------------------------
# dysts flows whose right-hand side is not compilable as shipped


@njit(cache=True)
def anishchenko_astakhov(x, y, z, t, mu, eta):
    xdot = mu * x + y - x * z
    ydot = -x
    zdot = -eta * z + eta * (x if x > 0 else 0.0) * x
    return xdot, ydot, zdot


@njit(cache=True)
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True)
def beer_rnn(X, t, out, tau, theta, w):
    out[:] = (-X + w @ _sigmoid(X + theta)) / tau


@njit(cache=True)
def _rotlet(r, theta, a, b, bc):
    kappa = a**2 + (b**2 * r**2) / a**2 - 2 * b * r * np.cos(theta)
    gamma = (1 - r**2 / a**2) * (a**2 - (b**2 * r**2) / a**2)
    iota = (b**2 * r) / a**2 - b * np.cos(theta)
    zeta = b**2 + r**2 - 2 * b * r * np.cos(theta)
    nu = a**2 + b**2 - (2 * b**2 * r**2) / a**2
    vr = b * np.sin(theta) * (-bc * (gamma / kappa**2) - 1 / kappa + 1 / zeta)
    vth = (
        bc * (gamma * iota) / kappa**2
        + bc * r * nu / (a**2 * kappa)
        + iota / kappa
        - (r - b * np.cos(theta)) / zeta
    )
    return vr, vth


@njit(cache=True)
def _blink(t, tau):
    # smooth square wave switching between the two stirring protocols
    return 0.5 + 0.5 * np.tanh(tau * 20.0 * np.sin(2 * np.pi * t / tau))


@njit(cache=True)
def blinking_rotlet(r, theta, tt, t, a, b, bc, sigma, tau):
    weight = _blink(tt, tau)
    dr1, dth1 = _rotlet(r, theta, a, b, bc)
    dr2, dth2 = _rotlet(r, theta, a, -b, bc)
    dr = weight * dr1 + (1 - weight) * dr2
    dth = (weight * dth1 + (1 - weight) * dth2) / r
    return sigma * dr, sigma * dth, 1.0


@njit(cache=True)
def ca_two_plus(z, y, a, t, K2, K5, Ka, Kd, Ky, Kz, V0, V1, V4, Vm2, Vm3, Vm5, beta, eps, k, kf, m, n, p):
    Vin = V0 + V1 * beta
    V2 = Vm2 * (z**2) / (K2**2 + z**2)
    V3 = (Vm3 * (z**m) / (Kz**m + z**m)) * (y**2 / (Ky**2 + y**2)) * (a**4 / (Ka**4 + a**4))
    V5 = Vm5 * (a**p / (K5**p + a**p)) * (z**n / (Kd**n + z**n))
    zdot = Vin - V2 + V3 + kf * y - k * z
    ydot = V2 - V3 - kf * y
    adot = beta * V4 - V5 - eps * a
    return zdot, ydot, adot


@njit(cache=True)
def cell_cycle(c1, m1, x1, c2, m2, x2, t, K, Kc, Kd1, Kim, V2, V4, Vm1, Vm3, kd1, vd, vi):
    V1 = Vm1 * c1 / (Kc + c1)
    U1 = Vm1 * c2 / (Kc + c2)
    V3 = m1 * Vm3
    U3 = m2 * Vm3
    c1dot = vi * Kim / (Kim + m2) - vd * x1 * c1 / (Kd1 + c1) - kd1 * c1
    c2dot = vi * Kim / (Kim + m1) - vd * x2 * c2 / (Kd1 + c2) - kd1 * c2
    m1dot = V1 * (1 - m1) / (K + (1 - m1)) - V2 * m1 / (K + m1)
    m2dot = U1 * (1 - m2) / (K + (1 - m2)) - V2 * m2 / (K + m2)
    x1dot = V3 * (1 - x1) / (K + (1 - x1)) - V4 * x1 / (K + x1)
    x2dot = U3 * (1 - x2) / (K + (1 - x2)) - V4 * x2 / (K + x2)
    return c1dot, m1dot, x1dot, c2dot, m2dot, x2dot


@njit(cache=True)
def _cnn_output(x):
    return 0.5 * (np.abs(x + 1) - np.abs(x - 1))


@njit(cache=True)
def cellular_neural_network(x, y, z, t, a, b, c, d):
    fx, fy, fz = _cnn_output(x), _cnn_output(y), _cnn_output(z)
    xdot = -x + d * fx - b * fy - b * fz
    ydot = -y - b * fx + c * fy - a * fz
    zdot = -z - b * fx + a * fy + fz
    return xdot, ydot, zdot


@njit(cache=True)
def circadian_rhythm(m, fc, fs, fn, th, t, Ki, k, k1, k2, kd, kdn, km, ks, n, ps, vc, vd, vdn, vm, vmax, vmin):
    vs = vc * ((0.5 + 0.5 * np.cos(th)) + vmin) * (vmax - vmin)
    mdot = vs * (Ki**n) / (Ki**n + fn**n) - vm * m / (km + m)
    fcdot = ks * m - k1 * fc + k2 * fn - k * fc
    fsdot = k * fc - vd * fs / (kd + fs)
    fndot = k1 * fc - k2 * fn - vdn * fn / (kdn + fn)
    thdot = 2 * np.pi / ps
    return mdot, fcdot, fsdot, fndot, thdot


@njit(cache=True)
def colpitts(x, y, z, t, a, b, c, d, e):
    u = z - (e - 1)
    fz = -u if u < 0 else 0.0
    xdot = y - a * fz
    ydot = c - x - b * y - z
    zdot = y - d * z
    return xdot, ydot, zdot


@njit(cache=True)
def excitable_cell(
    v, n, c, t, ahr, aho, ahs, ams, amvb, amvo, anvb, anvo, ans, ar, bhr, bho, bmo, bmr, bms,
    bno, bnr, bns, gi, gkc, gkv, gl, kc, rho, tscl, vc, vi, vk, vl, vm, vn,
):
    # vm and vn are listed in dysts's parameters but unused by its equations
    alpham = ams * (amvb + v) / (1 - np.exp(-ar * v - amvo))
    betam = bms * np.exp(-bmr * v - bmo)
    minf = alpham / (alpham + betam)
    alphah = ahs * np.exp(-ahr * v - aho)
    betah = 1 / (1 + np.exp(-bhr * v - bho))
    hinf = alphah / (alphah + betah)
    alphan = ans * (anvb + v) / (1 - np.exp(-ar * v - anvo))
    betan = bns * np.exp(-bnr * v - bno)
    ninf = alphan / (alphan + betan)
    tau = 1 / (tscl * (alphan + betan))
    ca = c / (1 + c)
    vdot = (
        gi * minf**3 * hinf * (vi - v)
        + gkv * n**4 * (vk - v)
        + gkc * ca * (vk - v)
        + gl * (vl - v)
    )
    ndot = (ninf - n) / tau
    cdot = rho * (minf**3 * hinf * (vc - v) - kc * c)
    return vdot, ndot, cdot


@njit(cache=True)
def fluid_trampoline(x, y, th, t, gamma, psi, w):
    contact = 1.0 if x < 0 else 0.0
    ydot = -1 - contact * (x + psi * y * np.abs(y)) + gamma * np.cos(th)
    return y, ydot, w


@njit(cache=True)
def hopfield(X, t, out, beta, eps, k, tau):
    out[:] = -X / tau + (1 + np.tanh(eps * (k @ X))) / 2 - beta


@njit(cache=True)
def interior_squirmer(X, t, out, a, g, tau):
    r, th, tt = X[0], X[1], X[2]
    phase = _blink(tt, tau)
    aa, gg = a * phase, g * (1 - phase)
    nvals = np.arange(1, aa.shape[0] + 1).astype(np.float64)
    sinvals, cosvals = np.sin(th * nvals), np.cos(th * nvals)
    rnvals = r**nvals
    vrn = (gg * cosvals + aa * sinvals) * (nvals * rnvals * (r**2 - 1)) / r
    vth = (2 * r + (r**2 - 1) * nvals / r) * (aa * cosvals - gg * sinvals) * rnvals
    out[0] = np.sum(vrn)
    out[1] = np.sum(vth) / r
    out[2] = 1.0


@njit(cache=True)
def isothermal_chemical(alpha, beta, gamma, t, delta, kappa, mu, sigma):
    alphadot = mu * (kappa + gamma) - alpha * beta**2 - alpha
    betadot = (alpha * beta**2 + alpha - beta) / sigma
    gammadot = (beta - gamma) / delta
    return alphadot, betadot, gammadot


@njit(cache=True)
def _lid(x, y, a, b, u1, u2):
    # Stokes flow in a cavity driven by one lid (two Fourier modes)
    pi = np.pi
    pre1 = 2 * u1 * np.sin(pi * x / a) / (2 * b * pi + a * np.sinh(2 * pi * b / a))
    pre2 = 2 * u2 * np.sin(2 * pi * x / a) / (4 * b * pi + a * np.sinh(4 * pi * b / a))
    vx1 = -b * pi * np.sinh(pi * b / a) * np.sinh(pi * y / a) + np.cosh(pi * b / a) * (
        pi * y * np.cosh(pi * y / a) + a * np.sinh(pi * y / a)
    )
    vx2 = -2 * b * pi * np.sinh(2 * pi * b / a) * np.sinh(2 * pi * y / a) + np.cosh(
        2 * pi * b / a
    ) * (2 * pi * y * np.cosh(2 * pi * y / a) + a * np.sinh(2 * pi * y / a))
    vx = pre1 * vx1 + pre2 * vx2
    pre1 = 2 * pi * u1 * np.cos(pi * x / a) / (2 * b * pi + a * np.sinh(2 * pi * b / a))
    pre2 = 4 * pi * u2 * np.cos(2 * pi * x / a) / (4 * b * pi + a * np.sinh(4 * pi * b / a))
    vy1 = b * np.sinh(pi * b / a) * np.cosh(pi * y / a) - np.cosh(pi * b / a) * y * np.sinh(
        pi * y / a
    )
    vy2 = b * np.sinh(2 * pi * b / a) * np.cosh(2 * pi * y / a) - np.cosh(
        2 * pi * b / a
    ) * y * np.sinh(2 * pi * y / a)
    vy = pre1 * vy1 + pre2 * vy2
    return vx, vy


@njit(cache=True)
def lid_driven_cavity_flow(x, y, tt, t, a, b, tau, u1, u2):
    weight = _blink(tt, tau)
    dx1, dy1 = _lid(x, y, a, b, u1, u2)
    dx2, dy2 = _lid(x, y, a, b, -u1, u2)
    return weight * dx1 + (1 - weight) * dx2, weight * dy1 + (1 - weight) * dy2, 1.0


@njit(cache=True)
def lorenz96(X, t, out, f):
    # Lorenz (1996): dX_i/dt = (X_{i+1} - X_{i-2}) X_{i-1} - X_i + F, indices periodic
    n = X.shape[0]
    for i in range(n):
        out[i] = (X[(i + 1) % n] - X[i - 2]) * X[i - 1] - X[i] + f


@njit(cache=True)
def mac_arthur(X, t, out, c, d, k, m, r, s):
    n_species = k.shape[0]
    nn, rr = X[:n_species], X[n_species:]
    mu = np.empty(n_species)
    for i in range(n_species):
        # Liebig's law of the minimum over resources j; k[j, i]: half-saturation of j for i
        mu[i] = np.min(r * rr / (k[:, i] + rr))
    out[:n_species] = nn * (mu - m)
    out[n_species:] = d * (s - rr) - c @ (mu * nn)


@njit(cache=True)
def multi_chua(x, y, z, t, a, b, c, m):
    diode = m[-1] * x
    for i in range(1, 6):
        diode += 0.5 * (m[i - 1] - m[i]) * (np.abs(x + c[i]) - np.abs(x - c[i]))
    return a * (y - diode), x - y + z, -b * y


@njit(cache=True)
def vallis_el_nino(x, y, z, t, b, c, p):
    return b * y - c * x - c * p, -y + x * z, -z - x * y + 1


# ---------------------------------------------------------------------------------------------
# dysts maps that dysts 0.96 lists in its metadata but ships without a compilable map


@njit(cache=True)
def zaslavskii(x, y, eps, nu, r):
    # Zaslavskii (1978), Phys. Lett. A 69(3); as written (commented) in dysts
    mu = (1 - np.exp(-r)) / r
    xp = x + nu * (1 + mu * y) + eps * nu * mu * np.cos(2 * np.pi * x)
    xp = xp % 0.99999995
    yp = np.exp(-r) * (y + eps * np.cos(2 * np.pi * x))
    return xp, yp


@njit(cache=True)
def blinking_vortex_map(rt, tt, _n, a, b, gamma, t):
    # Aref's blinking vortex: the active vortex alternates each iteration (dysts flips b).
    bb = b if _n % 2 == 0 else -b
    a2b = a**2 / bb
    lam2 = bb**2 + rt**2 - 2 * bb * rt * np.cos(tt)
    lam2 /= a2b**2 + rt**2 - 2 * a2b * rt * np.cos(tt)
    lam = np.sqrt(lam2)
    etac = (bb - lam2 * a2b) / (1 - lam2)
    rho = np.abs((lam / (1 - lam2)) * (a2b - bb))
    tp = np.arctan2(rt * np.sin(tt), -etac + rt * np.cos(tt))
    fac = (2 * lam) / (1 + lam2)
    tlam = (2 * np.pi) ** 2 * ((rho**2) / gamma) * (1 + lam2) / (1 - lam2)
    rhs = tp - fac * np.sin(tp) + 2 * np.pi * t / tlam
    # Kepler-type equation q - fac sin q = rhs, fac < 1: a unique root, found by Newton
    q = 0.01
    for _ in range(100):
        step = (q - fac * np.sin(q) - rhs) / (1 - fac * np.cos(q))
        q -= step
        if np.abs(step) < 1e-14:
            break
    rout = np.sqrt(rho**2 + etac**2 + 2 * rho * etac * np.cos(q))
    thout = np.arctan2(rho * np.sin(q), etac + rho * np.cos(q))
    return rout, thout


# ---------------------------------------------------------------------------------------------
# Our additions


@njit(cache=True)
def chialvo(x, y, a, b, c, k):
    # Chialvo (1995), Chaos Solitons Fractals 5:461. x: activation, y: recovery
    return x * x * np.exp(y - x) + k, a * y - b * x + c


@njit(cache=True)
def rulkov(x, y, alpha, mu, sigma):
    # Rulkov (2001), Phys. Rev. Lett. 86:183: fast x (spiking), slow y (bursting), mu << 1
    return alpha / (1 + x * x) + y, y - mu * (x - sigma)
