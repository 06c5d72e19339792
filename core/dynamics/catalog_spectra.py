"""The catalog's Lyapunov spectra, computed by the lab, beside dysts's metadata.

Every flow, map and delay system at its published parameters: the spectrum by ``lyapunov.spectrum``
at its defaults (full for flows and maps, the leading ``lyapunov.DELAY_EXPONENTS`` for delay
systems), with two checks of its own: convergence (λ1's batch-means standard error, 20 batches of
the averaging, within ``CONVERGED`` of λ1, or of a hundredth of the spectrum's scale where λ1 ≈ 0)
and, for a flow's full spectrum, Liouville's formula (sum of exponents = mean divergence, which
``spectrum`` already refines its step for). Shipped in ``assets/lyapunov_catalog.json``; rebuilt by

    .venv/bin/python -m core.dynamics.catalog_spectra      # both cores; see README for the time

dysts's metadata holds two estimates of the largest exponent that disagree for most systems: its
stored spectra were not recomputed when ``maximum_lyapunov_estimated`` was (2023). ``compare``
says where the lab and dysts disagree (λ1 by more than ``DISAGREE`` or the sign of λ2) and where
dysts disagrees with itself.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.dynamics import lyapunov
from core.errors import IntegrationError, LyapunovError
from core.systems import System

TABLE = Path(__file__).resolve().parents[2] / "assets" / "lyapunov_catalog.json"
CONVERGED = 0.05  # converged: λ1's standard error is at most this fraction of λ1
DISAGREE = 0.05  # the lab and dysts disagree on λ1 by more than this (relative to the lab's)


@dataclass(frozen=True)
class CatalogSpectrum:
    """One system's spectrum at its published parameters, as the lab computed it."""

    name: str
    kind: str
    exponents: tuple[float, ...]
    averaged: float  # time units (iterates for a map)
    seconds: float
    stderr: float  # λ1's batch-means standard error
    liouville: tuple[float, float] | None  # (sum of exponents, mean divergence) of a flow's full spectrum
    grid_points: int | None = None  # a delay system's method-of-steps grid

    @property
    def relative_error(self) -> float:
        """λ1's standard error relative to λ1 (or to a hundredth of the spectrum's scale near 0)."""
        scale = max(abs(self.exponents[0]), 0.01 * max(abs(v) for v in self.exponents), 1e-12)
        return self.stderr / scale

    @property
    def converged(self) -> bool:
        return self.relative_error <= CONVERGED

    @property
    def kaplan_yorke(self) -> float:
        return lyapunov.kaplan_yorke_dimension(self.exponents)

    @property
    def partial(self) -> bool:
        """Only the leading exponents (a delay system)."""
        return self.grid_points is not None

    def summary(self) -> str:
        """A line for the system card: the exponents, the dimension and the checks."""
        shown = (f"{self.exponents[0]:.3g} ± {self.stderr:.1g}, " + ", ".join(f"{v:.3g}" for v in self.exponents[1:])
                 + (", …" if self.partial else ""))
        dimension = lyapunov.kaplan_yorke_text(self.exponents, self.partial)
        checks = [] if self.converged else [
            f"not converged: λ1's standard error is {self.relative_error:.0%} of it" if math.isfinite(self.stderr)
            else "not converged: too few steps averaged to estimate λ1's error"]
        if self.liouville is not None and not lyapunov.liouville_holds(np.asarray(self.exponents), self.liouville[1]):
            checks.append(f"sum {self.liouville[0]:.3g} misses the mean divergence {self.liouville[1]:.3g}")
        unit = "iterates" if self.kind == "map" else "time units"
        return (f"({shown}); Kaplan–Yorke dimension {dimension}; over {self.averaged:.3g} {unit}"
                + ("; " + "; ".join(checks) if checks else ""))


def compute(system: System) -> CatalogSpectrum:
    """The lab's spectrum of ``system`` at its defaults, with its checks."""
    result = lyapunov.spectrum(system)
    full_flow = system.kind == "flow" and len(result.exponents) == system.state_dim
    return CatalogSpectrum(
        name=system.name, kind=system.kind, exponents=tuple(round(float(v), 6) for v in result.exponents),
        averaged=float(result.t[-1]), seconds=round(result.wall_time, 3), stderr=float(f"{lyapunov.standard_error(result):.4g}"),
        liouville=(round(float(result.exponents.sum()), 6), round(float(result.mean_trace), 6))
        if full_flow and result.mean_trace is not None else None,
        grid_points=result.grid_points)


def _compute_named(name: str) -> dict:
    from core import systems

    start = time.perf_counter()
    try:
        return asdict(compute(systems.get(name)))
    except (LyapunovError, IntegrationError) as exc:
        return {"name": name, "error": str(exc), "seconds": round(time.perf_counter() - start, 3)}


def build(path: Path = TABLE, processes: int | None = None) -> dict:
    """Every catalog system's spectrum at published parameters, on ``processes`` (default: every
    core), written to ``path`` with the time it took; systems without one are listed with why."""
    from core import systems

    start = time.perf_counter()
    names = [n for n in systems.names() if systems.get(n).origin != "typed"]
    rows, failed = {}, {}
    with ProcessPoolExecutor(processes or os.cpu_count()) as pool:
        for row in pool.map(_compute_named, names):
            if "error" in row:
                failed[row["name"]] = row["error"]
                print(f"{row['name']:28s} no spectrum: {row['error']}", file=sys.stderr, flush=True)
            else:
                rows[row["name"]] = {k: v for k, v in row.items() if k != "name"}
                print(f"{row['name']:28s} λ1 = {row['exponents'][0]:.5g}  {row['seconds']:.2f} s", flush=True)
    table = {"built_in_seconds": round(time.perf_counter() - start, 1), "processes": processes or os.cpu_count(),
             "systems": rows, "failed": failed}
    path.write_text(json.dumps(table, indent=1, sort_keys=True))
    shipped.cache_clear()
    return table


@functools.cache
def shipped(path: Path = TABLE) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {"systems": {}, "failed": {}}


def entry(system: System) -> CatalogSpectrum | None:
    """The shipped spectrum of ``system``, for its published parameters only (else None)."""
    if not system.is_published or system.origin == "typed":
        return None
    row = shipped()["systems"].get(system.name)
    if row is None:
        return None
    fields = {**row, "exponents": tuple(row["exponents"]),
              "liouville": tuple(row["liouville"]) if row.get("liouville") else None}
    return CatalogSpectrum(name=system.name, **fields)


def _sign(value: float, scale: float) -> int:
    """-1, 0 or 1, zero within a hundredth of the spectrum's scale (a flow's neutral exponent)."""
    return 0 if abs(value) <= max(0.01 * scale, 1e-4) else int(math.copysign(1, value))


@dataclass(frozen=True)
class Comparison:
    """The lab's spectrum beside dysts's two numbers for one system."""

    lab: CatalogSpectrum
    dysts_max: float | None  # dysts's maximum_lyapunov_estimated
    dysts_spectrum: tuple[float, ...] | None  # dysts's lyapunov_spectrum_estimated

    @property
    def lab_chaotic(self) -> bool:
        """The lab's verdict on its own spectrum (the Lyapunov tab's) is chaotic."""
        return lyapunov.verdict(np.asarray(self.lab.exponents), self.lab.kind, self.lab.stderr).startswith("chaotic")

    @property
    def lambda1_gap(self) -> float | None:
        """dysts's λ_max against the lab's λ1, relative to the lab's (None without one, or where
        the lab's λ1 is zero or negative: a relative gap means nothing there)."""
        if self.dysts_max is None or not self.lab_chaotic:
            return None
        return (self.dysts_max - self.lab.exponents[0]) / abs(self.lab.exponents[0])

    @property
    def lambda2_signs(self) -> tuple[int, int] | None:
        if not self.dysts_spectrum or len(self.dysts_spectrum) < 2 or len(self.lab.exponents) < 2:
            return None
        lab_scale = max(abs(v) for v in self.lab.exponents)
        dysts_scale = max(abs(v) for v in self.dysts_spectrum)
        return _sign(self.lab.exponents[1], lab_scale), _sign(sorted(self.dysts_spectrum)[-2], dysts_scale)

    @property
    def dysts_self_gap(self) -> float | None:
        """dysts's spectrum's largest exponent against its own λ_max, relative to λ_max."""
        if self.dysts_max is None or not self.dysts_spectrum:
            return None
        return (max(self.dysts_spectrum) - self.dysts_max) / max(abs(self.dysts_max), 1e-12)

    def reasons(self) -> list[str]:
        """Where the lab and dysts disagree, in words (empty: they agree)."""
        out = []
        gap = self.lambda1_gap
        if gap is not None and abs(gap) > DISAGREE:
            out.append(f"λ1 differs by {gap:+.0%}")
        if not self.lab_chaotic and self.dysts_max is not None and self.dysts_max > 0:
            out.append(f"λ1 = {self.lab.exponents[0]:.2g} ± {self.lab.stderr:.1g} here (not chaotic by the lab's "
                       f"verdict), {self.dysts_max:.3g} in dysts")
        signs = self.lambda2_signs
        if signs is not None and signs[0] != signs[1]:
            words = {-1: "negative", 0: "zero", 1: "positive"}
            out.append(f"λ2 is {words[signs[0]]} here, {words[signs[1]]} in dysts")
        return out

    def dysts_note(self) -> str | None:
        """A plain sentence when dysts's own two numbers disagree (by more than ``DISAGREE``)."""
        gap = self.dysts_self_gap
        if gap is None or abs(gap) <= DISAGREE:
            return None
        return (f"dysts's own two numbers disagree: its largest exponent is {self.dysts_max:.4g}, its spectrum's "
                f"is {max(self.dysts_spectrum):.3g} ({gap:+.0%}); its stored spectra were not recomputed when its "
                "largest exponents were (2023)")


def compare(system: System) -> Comparison | None:
    """The lab's shipped spectrum of ``system`` beside dysts's metadata (None where there is none)."""
    lab = entry(system)
    if lab is None:
        return None
    return Comparison(lab, system.lyapunov_max, system.lyapunov_spectrum)


@functools.cache
def disagreements(all_systems: bool = False) -> pd.DataFrame:
    """One row per catalog system where the lab and dysts disagree (every system with dysts
    metadata when ``all_systems``): the lab's and dysts's λ1 and λ2, the gap, the dimensions,
    dysts's largest exponent against its own spectrum's, and why. Read-only: shared, cached."""
    from core import systems

    rows = []
    for name in sorted(shipped()["systems"]):
        system = systems.get(name)
        found = compare(system)
        if found is None or (found.dysts_max is None and not found.dysts_spectrum):
            continue
        reasons = found.reasons()
        if not reasons and not all_systems:
            continue
        lab, spectrum = found.lab, found.dysts_spectrum
        gap = found.lambda1_gap
        rows.append({
            "system": name, "kind": system.kind,
            "λ1 (lab)": lab.exponents[0],
            "± (lab)": lab.stderr,
            "λ1 (dysts)": found.dysts_max,
            "gap %": None if gap is None else round(100 * gap, 1),
            "λ2 (lab)": lab.exponents[1] if len(lab.exponents) > 1 else None,
            "λ2 (dysts)": sorted(spectrum)[-2] if spectrum and len(spectrum) > 1 else None,
            "D_KY (lab)": round(lab.kaplan_yorke, 3),
            "D_KY (dysts)": system.kaplan_yorke_dimension,
            "converged": lab.converged,
            "dysts vs itself %": None if found.dysts_self_gap is None else round(100 * found.dysts_self_gap, 1),
            "why": "; ".join(reasons) or "agree",
        })
    return pd.DataFrame(rows)


if __name__ == "__main__":
    build()
