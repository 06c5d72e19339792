"""Pictures of fields: a 1-D field's space–time image and a 2-D field's frames, made where the
data is, their leading Lyapunov exponents beside the literature's, and a 1-D field's forecast by
parallel local reservoirs beside the truth.

The space–time image is the (time × space) array resampled to the view's pixels by Datashader's
``Canvas.raster`` (the mean of the samples behind each pixel, so 10⁵ snapshots stay one small
image); a 2-D field's frames are its grid's own pixels (Bokeh scales them), colour levels over
the whole run's span so that a colour means one value in every frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.dynamics import fields as F
from core.dynamics import lyapunov, metrics
from core.errors import ArgumentError, Stopped
from core.forecasting.parallel_reservoir import ParallelReservoir
from core.pictures import raster
from core.pictures.raster import Raster, levels
from core.systems.fields import Field

SPACE_TIME_PIXELS = (760, 250)
FORECAST_PIXELS = (760, 150)  # each of a forecast's three space–time images
FRAME_PIXELS = (380, 380)
CMAP = "coolwarm"  # signed fields: blue below the middle of the span, red above
MAX_FRAME_BYTES = 32 * 2**20  # a 2-D run's frames the page may hold


@dataclass(frozen=True)
class FieldPicture:
    """What the Fields tab shows of one run: ``image`` (1-D: time on x, space on y) or
    ``frames`` (2-D: one level array per snapshot over ``extent``), the colour ``span`` and the
    run's times."""

    field: Field
    t: np.ndarray
    span: tuple[float, float]
    extent: tuple[float, float, float, float]
    image: Raster | None = None
    frames: np.ndarray | None = None
    palette: tuple[str, ...] = ()
    seconds: float = 0.0

    def frame(self, i: int) -> Raster:
        """Frame ``i`` as a shaded raster for a ``RasterView``."""
        return Raster(np.empty(0), np.empty(0), None, self.extent, 0.0, index=self.frames[i], palette=self.palette)


def _span(u: np.ndarray, signed: bool) -> tuple[float, float]:
    low, high = float(np.min(u)), float(np.max(u))
    if signed:  # Kuramoto–Sivashinsky and λ–ω swing about zero: white is zero
        m = max(abs(low), abs(high), 1e-12)
        return -m, m
    return low, high


def field_picture(field: Field, n: int, seed: int = 0, *, job=None) -> FieldPicture:
    """A job: ``n`` snapshots of ``field`` (``fields.simulate``) drawn for the page."""
    if field.space_dims == 2 and n * field.grid**2 > MAX_FRAME_BYTES:
        raise ArgumentError(f"{n} frames of {field.grid}² pixels exceed the {MAX_FRAME_BYTES // 2**20} MB a page may "
                            f"hold: ask for at most {MAX_FRAME_BYTES // field.grid**2} frames or a coarser grid")
    progress = (lambda f: job.progress(f)) if job is not None else None
    run = F.simulate(field, n, seed=seed, progress=progress, stop=job.stop if job is not None else None)
    if len(run.u) < n:  # a newer request replaced this one
        raise Stopped(f"the run of {field.title} was stopped after {len(run.u)} of {n} snapshots")
    start = time.perf_counter()
    span = _span(run.u, signed=field.name != "Lorenz96")
    if field.space_dims == 2:
        half = field.spacing / 2
        extent = (run.x[0] - half, run.x[-1] + half, run.x[0] - half, run.x[-1] + half)
        return FieldPicture(field, run.t, span, extent, frames=levels(run.u, *span), palette=raster.palette(CMAP),
                            seconds=run.wall_time + time.perf_counter() - start)
    image = space_time(run.t, run.x, run.u, span, field)
    return FieldPicture(field, run.t, span, image.extent, image=image, seconds=run.wall_time)


def space_time(t: np.ndarray, x: np.ndarray, u: np.ndarray, span: tuple[float, float], field: Field,
               pixels: tuple[int, int] = SPACE_TIME_PIXELS) -> Raster:
    """The (time × space) field as an image: time on x, space on y (``raster.space_time``),
    coloured linearly over ``span``."""
    step = t[1] - t[0] if len(t) > 1 else field.dt
    extent = (float(t[0]), float(t[-1] + step), 0.0, float(field.length))
    return raster.space_time(u, t + step / 2, x + field.spacing / 2, extent, span, CMAP, pixels)


@dataclass(frozen=True)
class FieldSpectrum:
    """A field's leading exponents, its Kaplan–Yorke text and the reference it is checked against."""

    exponents: np.ndarray
    dimension: str
    reference: float | None
    source: str
    seconds: float
    t_max: float


def field_spectrum(field: Field, n_exponents: int = 6, t_max: float | None = None, *, job=None) -> FieldSpectrum:
    """A job: ``fields.spectrum`` over ``t_max`` (default: the field's), with the published λ1
    where the field sits at the published parameters."""
    progress = (lambda f: job.progress(f)) if job is not None else None
    result = F.spectrum(field, n_exponents, t_max=t_max, progress=progress, stop=job.stop if job is not None else None)
    ref = field.lyapunov_reference
    partial = n_exponents < field.state_dim
    return FieldSpectrum(result.exponents, lyapunov.kaplan_yorke_text(result.exponents, partial=partial),
                         ref.value if ref else None, ref.source if ref else "", result.wall_time,
                         float(result.t[-1]))


CONTEXT = 200  # steps that warm the reservoirs up before a forecast


@dataclass(frozen=True)
class FieldForecast:
    """A forecast of a 1-D field: the true, predicted and difference space–time images over the
    forecast window (one colour span), the normalised error per step and the VPT."""

    field: Field
    truth: Raster
    prediction: Raster
    difference: Raster
    error: np.ndarray
    vpt: float
    lyapunov: float | None  # the λ1 the VPT is counted in (None: counted in time units)
    fit_seconds: float
    groups: int


def reservoir_groups(sites: int, width: int = 8) -> int:
    """How many groups of contiguous sites: the divisor of ``sites`` whose groups are nearest to
    ``width`` sites (Pathak et al.'s 8)."""
    divisors = [d for d in range(1, sites + 1) if sites % d == 0]
    return sites // min(divisors, key=lambda d: (abs(d - width), d))


def field_forecast(field: Field, train_steps: int = 20_000, horizon: int = 1000, units: int = 1000, seed: int = 0,
                   *, job=None) -> FieldForecast:
    """A job: parallel local reservoirs (``core.forecasting.parallel_reservoir``) fitted on
    ``train_steps`` snapshots of a 1-D field, warmed up on the next ``CONTEXT`` and run free for
    ``horizon`` steps against the truth. The VPT (ε = 0.5, each site normalised by its training
    standard deviation) is in Lyapunov times where the field has a published λ1."""
    if field.space_dims != 1:
        raise ArgumentError("forecasts are for 1-D fields (Kuramoto–Sivashinsky, Lorenz-96) so far")
    train_steps, horizon, units = int(train_steps), int(horizon), int(units)
    if not 1000 <= train_steps <= 100_000 or not 10 <= horizon <= 10_000 or not 10 <= units <= 5000:
        raise ArgumentError("training steps must be 1000–100 000, the horizon 10–10 000 steps and the units 10–5000")
    stop = job.stop if job is not None else None
    run = F.simulate(field, train_steps + CONTEXT + horizon, seed=seed, stop=stop)
    if len(run.u) < train_steps + CONTEXT + horizon:
        raise Stopped("the forecast was stopped while its data were integrated")
    train = run.u[:train_steps]
    context, truth = run.u[train_steps: train_steps + CONTEXT], run.u[train_steps + CONTEXT:]
    model = ParallelReservoir(groups=reservoir_groups(field.grid), units=units, seed=seed)
    start = time.perf_counter()
    model.fit(train, field.dt, progress=(lambda f, info: job.progress(f)) if job is not None else None, stop=stop)
    fitted = time.perf_counter() - start
    prediction = model.predict(context, horizon)
    scale = train.std(axis=0)
    lam = field.lyapunov_reference.value if field.lyapunov_reference else None
    t = run.t[train_steps + CONTEXT:]
    span = _span(truth, signed=field.name != "Lorenz96")
    shown = np.nan_to_num(prediction)  # a free run that blew up is NaN from there: drawn as 0, scored invalid
    difference = np.nan_to_num(prediction - truth)
    width = (span[1] - span[0]) / 2
    px = FORECAST_PIXELS
    return FieldForecast(
        field, space_time(t, run.x, truth, span, field, px), space_time(t, run.x, shown, span, field, px),
        space_time(t, run.x, difference, (-width, width), field, px),
        metrics.error_growth(truth, prediction, scale), metrics.vpt(truth, prediction, field.dt, lam, scale=scale),
        lam, fitted, model.groups)
