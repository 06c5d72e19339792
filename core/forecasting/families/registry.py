"""The registry of forecaster families: names, creation from hyper-parameters, schemas, loading."""

from __future__ import annotations

import json
import zipfile

import numpy as np

from core.forecasting.families.base import FAMILIES, FORMAT_VERSION, Forecaster, ForecastError, Hyper, Timescales


class StoreFormatError(ForecastError):
    """A saved model that cannot be read: corrupt, truncated, or from an incompatible version."""


def _families() -> dict[str, type[Forecaster]]:
    # defining a family registers it (Forecaster.__init_subclass__); importing torch's families
    # costs a second, so they load on first use
    from core.forecasting.families import (  # noqa: F401
        analog,
        ar,
        auto,
        baselines,
        esn,
        koopman,
        neural_ode,
        nvar,
        parroting,
        plrnn,
        rnn,
        sindy,
        transformer,
    )

    return FAMILIES


def names(*, iterative: bool | None = None, any_dimension: bool | None = None) -> list[str]:
    """Family names, sorted; selected by the families' own capability tags where given:
    ``iterative`` (trained epoch by epoch: the neural families), ``any_dimension`` (one model for
    series of any dimension: the multi-system transformer)."""
    return sorted(name for name, cls in _families().items()
                  if (iterative is None or cls.is_iterative == iterative)
                  and (any_dimension is None or cls.any_dimension == any_dimension))


def family(name: str) -> type[Forecaster]:
    families = _families()
    if name not in families:
        raise KeyError(f"no forecaster family {name!r}; available: {', '.join(sorted(families))}")
    return families[name]


def create(name: str, timescales: Timescales | None = None, **hparams) -> Forecaster:
    """A new, unfitted forecaster of family ``name``: explicit ``hparams`` first, then the
    family's time-aware defaults for ``timescales`` (when given), then its fixed defaults."""
    cls = family(name)
    chosen = cls.defaults(timescales) if timescales is not None else {}
    return cls(**{**chosen, **hparams})


def defaults(name: str, timescales: Timescales | None = None) -> dict:
    """Every hyper-parameter's default value, time-aware where ``timescales`` is given."""
    cls = family(name)
    return {k: spec.default for k, spec in cls.hyper.items()} | (cls.defaults(timescales) if timescales else {})


def schema(name: str) -> dict[str, Hyper]:
    """Each hyper-parameter's type, default, bounds and meaning, for building widgets."""
    return dict(family(name).hyper)


def load(path) -> Forecaster:
    """A fitted forecaster from a file written by ``Forecaster.save``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            arrays = {k.removeprefix("state_"): data[k] for k in data.files if k.startswith("state_")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise StoreFormatError(f"{path}: not a readable Chaos Lab model ({type(exc).__name__}: {exc})") from None
    if meta.get("format") != FORMAT_VERSION:
        raise StoreFormatError(f"{path}: model format {meta.get('format')} is not {FORMAT_VERSION}; retrain it")
    model = create(meta["family"], **meta["hparams"])
    model._restore(arrays)
    return model
