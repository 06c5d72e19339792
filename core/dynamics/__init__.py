"""The dynamics of a system: the Runge–Kutta engine and the integrators built on it, Lyapunov
spectra and exponents from data, orbit diagrams and Poincaré sections, attractor-level metrics."""
