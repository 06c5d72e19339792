"""The catalog's spectra by the lab, shipped in assets, beside dysts's metadata."""

import pytest

from core import systems
from core.dynamics import catalog_spectra, lyapunov


def test_every_catalog_system_is_in_the_shipped_table_or_says_why_not():
    table = catalog_spectra.shipped()
    names = set(systems.names())
    assert set(table["systems"]) | set(table["failed"]) == names
    assert len(table["systems"]) >= 150 and all(table["failed"].values())
    assert 0 < table["built_in_seconds"] < 20 * 60  # the target on 2 cores


def test_lorenz_in_the_table_converged_and_meets_liouville():
    lorenz = catalog_spectra.entry(systems.get("Lorenz"))
    sprott = lyapunov.LITERATURE["Lorenz"][1]
    assert lorenz.exponents[0] == pytest.approx(sprott[0], rel=0.01) and abs(lorenz.exponents[1]) < 0.01
    assert lorenz.converged and lorenz.liouville[0] == pytest.approx(lorenz.liouville[1], rel=0.01)
    assert lorenz.kaplan_yorke == pytest.approx(2.062, abs=0.002)
    assert catalog_spectra.entry(systems.get("Lorenz", rho=35.0)) is None  # published parameters only


def test_a_fresh_computation_matches_the_shipped_row():
    henon = systems.get("Henon")
    fresh = catalog_spectra.compute(henon)
    assert fresh.exponents == pytest.approx(catalog_spectra.entry(henon).exponents, rel=1e-3)
    assert fresh.converged and fresh.liouville is None  # a map: no divergence to check against


def test_lorenz_dysts_disagrees_with_itself_but_not_with_the_lab():
    found = catalog_spectra.compare(systems.get("Lorenz"))
    assert found.reasons() == []  # 0.8917 against the lab's 0.906: within 5 %; λ2 ≈ 0 in both
    assert found.dysts_self_gap == pytest.approx(1.09 / 0.8917 - 1, abs=0.01)
    assert "dysts's own two numbers disagree: its largest exponent is 0.8917, its spectrum's is 1.09" in found.dysts_note()


def test_disagreements_name_the_reason_and_sort_by_any_column():
    table = catalog_spectra.disagreements()
    assert len(table) > 10 and (table["why"] != "agree").all()
    mackey = table.set_index("system").loc["MackeyGlass"]  # periodic at dysts's tau = 16
    assert "(not chaotic by the lab's verdict)" in mackey["why"] and mackey["λ1 (dysts)"] == pytest.approx(0.0729, abs=1e-4)
    assert abs(mackey["λ1 (lab)"]) < 1e-3
    every = catalog_spectra.disagreements(all_systems=True)
    assert len(every) > len(table) and "Lorenz" in set(every["system"])
    assert every.sort_values("gap %")["gap %"].dropna().is_monotonic_increasing


def test_a_delay_systems_partial_spectrum_says_so():
    entry = catalog_spectra.entry(systems.get("VossDelay"))
    assert entry.partial and entry.grid_points == lyapunov.DELAY_POINTS
    assert "…" in entry.summary() and "Kaplan–Yorke dimension ≥ 6" in entry.summary()


def test_the_standard_error_tells_a_settled_estimate_from_a_short_one():
    lorenz = systems.get("Lorenz")
    settled = lyapunov.spectrum(lorenz)  # 4500 time units
    short = lyapunov.spectrum(lorenz, t_max=40.0)
    assert lyapunov.standard_error(settled) < 0.01 * settled.exponents[0]
    assert lyapunov.standard_error(short) > 5 * lyapunov.standard_error(settled)
    entry = catalog_spectra.CatalogSpectrum("Lorenz", "flow", tuple(short.exponents), 40.0, 0.1,
                                            lyapunov.standard_error(short), None)
    assert not entry.converged and "not converged: λ1's standard error is" in entry.summary()
