"""Chaos Lab's numerical core: systems, integrators and diagnostics; no UI imports here."""
