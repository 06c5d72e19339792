"""Baselines every forecast must beat: persistence and climatology (the training mean)."""

import numpy as np

from core.forecasting.families.base import Forecaster


class _Baseline(Forecaster):
    """Nothing to learn beyond the training statistics the base class keeps."""

    def _fit(self, z, dt, progress, stop):
        pass


class Persistence(_Baseline):
    name = "persistence"
    summary = "Persistence: tomorrow equals today"
    reference = "the naive forecast"

    def _predict(self, zc, horizon):
        return np.repeat(zc[-1:], horizon, axis=0)


class Mean(_Baseline):
    name = "mean"
    summary = "Climatology: the training mean"
    reference = "the climatological forecast"

    def _predict(self, zc, horizon):
        return np.zeros((horizon, zc.shape[1]))  # the mean, in standardised units
