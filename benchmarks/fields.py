"""Fields: Kuramoto–Sivashinsky's speed beside Kassam & Trefethen's own method and SciPy's stiff
solver, and every field's leading Lyapunov exponents beside the literature.

    .venv/bin/python -m benchmarks.fields

1. Speed, on the same work: Kuramoto–Sivashinsky at 128 modes (L = 22, h = 0.25), 10^5 steps.
   Ours (``core.dynamics.fields.simulate``: ETDRK4 on the real FFT's 65 modes) against
   ``kursiv.m`` of Kassam & Trefethen (2005) transcribed to NumPy (the complex FFT on all 128
   modes, same scheme, same step), and SciPy's ``solve_ivp`` (BDF, rtol 1e-6, the Fourier ODE with
   its exact Jacobian's diagonal stiffness) over 1/100 of the span, scaled. The accuracy column is
   the error after 20 time units against ours at h/8.
2. Spectra: KS at L = 22 (8 exponents over 4·10^4 time units) beside Cvitanović, Davidchack &
   Siminos (2010); Lorenz-96 at N = 40, F = 8 beside Vlachas et al. (2020); the λ–ω field (rd-spiral)
   at its published parameters and in its Benjamin–Feir turbulent regime.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.integrate import solve_ivp

from benchmarks.timing import best_of
from core.dynamics import fields as F
from core.dynamics import lyapunov
from core.systems import fields

STEPS = 100_000


def kursiv_numpy(u0: np.ndarray, length: float, h: float, steps: int) -> np.ndarray:
    """Kassam & Trefethen's kursiv.m (2005, SIAM J. Sci. Comput. 26, 1214, Fig. 6) in NumPy:
    complex FFT, the φ-functions on a half circle of 16 points, real parts."""
    n = len(u0)
    v = np.fft.fft(u0)
    k = np.concatenate([np.arange(n // 2), [0], np.arange(-n // 2 + 1, 0)]) * 2 * np.pi / length
    L = k**2 - k**4
    E, E2 = np.exp(h * L), np.exp(h * L / 2)
    M = 16
    r = np.exp(1j * np.pi * (np.arange(1, M + 1) - 0.5) / M)
    LR = h * L[:, None] + r[None, :]
    Q = h * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=1))
    f1 = h * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=1))
    f2 = h * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=1))
    f3 = h * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=1))
    g = -0.5j * k
    for _ in range(steps):
        Nv = g * np.fft.fft(np.real(np.fft.ifft(v)) ** 2)
        a = E2 * v + Q * Nv
        Na = g * np.fft.fft(np.real(np.fft.ifft(a)) ** 2)
        b = E2 * v + Q * Na
        Nb = g * np.fft.fft(np.real(np.fft.ifft(b)) ** 2)
        c = E2 * a + Q * (2 * Nb - Nv)
        Nc = g * np.fft.fft(np.real(np.fft.ifft(c)) ** 2)
        v = E * v + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3
    return np.real(np.fft.ifft(v))


def ks_scipy(u0: np.ndarray, length: float, span: float) -> np.ndarray:
    n = len(u0)
    q = 2 * np.pi / length * np.arange(n // 2 + 1)
    lin, g = q**2 - q**4, -0.5j * q
    g[-1] = 0

    def rhs(_, y):
        v = y[: n // 2 + 1] + 1j * y[n // 2 + 1:]
        dv = lin * v + g * np.fft.rfft(np.fft.irfft(v, n) ** 2)
        return np.concatenate([dv.real, dv.imag])

    v0 = np.fft.rfft(u0)
    out = solve_ivp(rhs, (0, span), np.concatenate([v0.real, v0.imag]), method="BDF", rtol=1e-6, atol=1e-9)
    return np.fft.irfft(out.y[: n // 2 + 1, -1] + 1j * out.y[n // 2 + 1:, -1], n)


def speed() -> None:
    field = fields.get("KuramotoSivashinsky", grid=128)
    u0 = F.simulate(field, 1).u[0]  # a state on the attractor, after the default transient
    h, span = field.step, STEPS * field.step
    t_ours, _ = best_of(lambda: F.simulate(field, STEPS + 1, transient=0.0, ic=u0), repeat=1)
    t_kt, _ = best_of(lambda: kursiv_numpy(u0, field.length, h, STEPS), repeat=1)
    start = time.perf_counter()
    ks_scipy(u0, field.length, span / 100)
    t_scipy = (time.perf_counter() - start) * 100

    accurate = F.simulate(fields.get("KuramotoSivashinsky", grid=128, step=h / 8, dt=20.0), 2, transient=0.0, ic=u0).u[-1]
    errors = {
        "ours (ETDRK4, rfft)": F.simulate(fields.get("KuramotoSivashinsky", grid=128, dt=20.0), 2, transient=0.0,
                                          ic=u0).u[-1],
        "kursiv.m in NumPy": kursiv_numpy(u0, field.length, h, int(20 / h)),
        "scipy solve_ivp BDF": ks_scipy(u0, field.length, 20.0),
    }
    print(f"Kuramoto–Sivashinsky, 128 modes, L = 22, h = {h}, {STEPS:,} steps ({span:g} time units)")
    print(f"{'method':<24}{'seconds':>10}{'ours / it':>12}{'error at t = 20':>18}")
    for name, seconds in (("ours (ETDRK4, rfft)", t_ours), ("kursiv.m in NumPy", t_kt), ("scipy solve_ivp BDF", t_scipy)):
        error = np.abs(errors[name] - accurate).max()
        print(f"{name:<24}{seconds:>10.2f}{t_ours / seconds:>12.2f}{error:>18.1e}")
    print("(scipy over 1/100 of the span, scaled)\n")


def spectra() -> None:
    print(f"{'field':<56}{'λ1':>8}{'λ2':>9}{'λ3':>9}{'λ4':>9}{'λ5':>9}{'   D_KY':<32}{'reference λ1':>14}{'s':>6}")
    cases = [
        ("KuramotoSivashinsky", {}, 8, 40_000.0),
        ("Lorenz96", {}, 8, 1000.0),
        ("LambdaOmega", {}, 4, 400.0),
        ("LambdaOmega", {"alpha": 2.0, "beta": -1.0}, 4, 400.0),
    ]
    for name, changes, k, t_max in cases:
        field = fields.get(name, **changes)
        result = F.spectrum(field, k, t_max=t_max)
        lam = result.exponents
        label = field.title + ("" if not changes else ", " + ", ".join(f"{a} = {b:g}" for a, b in changes.items()))
        ref = field.lyapunov_reference
        reference = f"{ref.value:g} ({abs(lam[0] / ref.value - 1):.1%})" if ref else "–"
        dky = lyapunov.kaplan_yorke_text(lam, partial=k < field.state_dim)
        print(f"{label:<56}" + "".join(f"{x:>9.4f}" for x in lam[:5]) + " " * 9 * (5 - len(lam[:5])) + f"   {dky:<29}{reference:>14}{result.wall_time:>6.0f}")
        if ref:
            print(f"    reference: {ref.source}")


def main() -> None:
    speed()
    spectra()


if __name__ == "__main__":
    main()
