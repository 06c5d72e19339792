"""A linear test system with a known exact solution (not part of the catalog)."""

from numba import njit


@njit(cache=True)
def damped_rotation(x, y, t, decay, omega):
    # x' = A x with A = [[-decay, omega], [-omega, -decay]]: a decaying rotation
    return -decay * x + omega * y, -omega * x - decay * y
