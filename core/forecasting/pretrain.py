"""Pretrained checkpoints shipped in ``assets/pretrained``: how they are made and how they are found.

    python -m core.forecasting.pretrain                       # every torch family on Lorenz, Rossler, Henon + transformer_multi
    python -m core.forecasting.pretrain --families shplrnn --systems Lorenz

Each family's default model (its time-aware defaults, the page's defaults) is trained on the
system's published parameters at its catalog dt, 10 000 training points, seed 0, and saved as
``<family>__<system>.npz`` with a JSON sidecar of provenance: the exact training configuration,
the package versions, the wall time, the VPT over ten test windows after the training data
(``core.forecasting.experiment``: the same split and λ1 as the page), and the command.
The multi-system transformer is trained on a set of catalog flows; the flows held out of its
training (Lorenz and Rössler among them, so the page's zero-shot claim is honest) are named in
its sidecar. The app only loads checkpoints it trained itself; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import systems, versions
from core.dynamics import integrate
from core.errors import ChaosLabError
from core.forecasting import experiment
from core.forecasting.families import registry

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "pretrained"
SYSTEMS = ("Lorenz", "Rossler", "Henon")
N_TRAIN, SEED = 10_000, 0
MULTI = "transformer_multi"
# flows held out of transformer_multi's training: its forecasts on them are zero-shot
HELD_OUT = ("Lorenz", "Rossler", "Thomas", "Aizawa", "Halvorsen", "Chen", "SprottB", "Dadras")
MULTI_SERIES = 4_000  # points per training system (40 periods at the catalog dt)
MULTI_SYSTEMS = 40


class PretrainedError(ChaosLabError, LookupError):
    """No shipped checkpoint for this family and system."""


@dataclass(frozen=True)
class Pretrained:
    model: object
    meta: dict
    path: Path

    @property
    def zero_shot(self) -> bool:
        return self.meta["family"] == MULTI


def _path(family: str, system: str, folder: Path = ASSETS) -> Path:
    return folder / (f"{MULTI}.npz" if family == MULTI else f"{family}__{system}.npz")


def available(folder: Path = ASSETS) -> dict[str, list[str]]:
    """Family → systems with a shipped checkpoint (``transformer_multi`` → ``["any flow"]``)."""
    found: dict[str, list[str]] = {}
    for sidecar in sorted(folder.glob("*.json")):
        meta = json.loads(sidecar.read_text())
        found.setdefault(meta["family"], []).append(meta.get("system", "any flow"))
    return found


def load(family: str, system: str, folder: Path = ASSETS) -> Pretrained:
    """The shipped checkpoint of ``family`` for ``system`` (for ``transformer_multi``: for any system)."""
    path = _path(family, system, folder)
    if not path.exists():
        have = available(folder).get(family, [])
        where = f"it is pretrained on {', '.join(have)}" if have else "no pretrained checkpoint of it ships"
        raise PretrainedError(f"no pretrained {family} for {system}: {where}; train it instead")
    meta = json.loads(path.with_suffix(".json").read_text())
    return Pretrained(registry.load(path), meta, path)


def _task(system) -> experiment.ForecastTask:
    """The sidecar's experiment: ten test windows of 10 Lyapunov times after the training data."""
    return experiment.ForecastTask(system, n_train=N_TRAIN, seed=SEED, windows=10, free_run=1)


def _evaluate(model, split: experiment.Split) -> dict:
    """VPT over the split's test windows, for the sidecar."""
    scores = experiment.score_forecast(model, split)
    return {"vpt_mean": scores.vpt, "vpt_std": scores.vpt_std, "lyapunov_max": split.lam,
            "lyapunov_source": split.lyapunov.source}


def _write(model, meta: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = _path(meta["family"], meta.get("system", ""), folder)
    model.save(path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    return path


def families() -> list[str]:
    """The families shipped as one checkpoint per system: every one trained epoch by epoch (their
    training is what a class should not wait for), but the multi-system model (``MULTI``)."""
    return registry.names(iterative=True, any_dimension=False)


def pretrain_one(family: str, system_name: str, folder: Path = ASSETS) -> Path:
    system = systems.get(system_name)
    split = experiment.make_split(_task(system))
    fitted = experiment.fit(split, family)  # the time-aware defaults, as the page fits them
    model, seconds = fitted.model, fitted.fit_seconds
    meta = {"family": family, "system": system_name, "params": {k: float(v) for k, v in system.params.items()},
            "dt": split.dt, "n_train": N_TRAIN, "seed": SEED, "noise": 0.0, "hparams": model.hparams,
            "fit_seconds": round(seconds, 2), "metrics": _evaluate(model, split),
            "created": datetime.date.today().isoformat(), "versions": versions(),
            "command": f"python -m core.forecasting.pretrain --families {family} --systems {system_name}"}
    return _write(model, meta, folder)


def multi_system_names() -> list[str]:
    """Three-dimensional autonomous chaotic flows of the catalog, minus the held-out ones."""
    chosen = []
    for name in systems.names(kind="flow"):
        system = systems.get(name)
        if name in HELD_OUT or system.dim != 3 or system.nonautonomous or not system.lyapunov_max:
            continue
        if system.lyapunov_max > 0.01:
            chosen.append(name)
    rng = np.random.default_rng(SEED)
    return sorted(rng.choice(chosen, size=min(MULTI_SYSTEMS, len(chosen)), replace=False).tolist())


def pretrain_multi(folder: Path = ASSETS, progress=None) -> Path:
    names, series, dts = [], [], []
    for name in multi_system_names():
        system = systems.get(name)
        try:
            x = integrate.trajectory(system, n=MULTI_SERIES, dt=system.dt, transient=2000, seed=SEED).x
        except integrate.IntegrationError:
            continue
        if np.all(np.isfinite(x)) and np.all(x.std(axis=0) > 1e-8):
            names.append(name), series.append(x), dts.append(system.dt)
    model = registry.create(MULTI)
    start = time.perf_counter()
    model.fit_many(series, dts, names=names, held_out=list(HELD_OUT), progress=progress)
    seconds = time.perf_counter() - start
    zero_shot = {name: _evaluate(model, experiment.make_split(_task(systems.get(name)))) for name in HELD_OUT}
    meta = {"family": MULTI, "trained_on": names, "held_out": list(HELD_OUT), "points_per_system": MULTI_SERIES,
            "dt": "each system's catalog dt (period / 100)", "seed": SEED, "hparams": model.hparams,
            "fit_seconds": round(seconds, 2), "zero_shot": zero_shot,
            "created": datetime.date.today().isoformat(), "versions": versions(),
            "command": "python -m core.forecasting.pretrain --families transformer_multi"}
    return _write(model, meta, folder)


def rescore(folder: Path = ASSETS) -> list[str]:
    """Measure every shipped checkpoint again and write what it scores into its sidecar (weights
    untouched): the sidecar must say what the model forecasts with the code that ships it."""
    changed = []
    for sidecar in sorted(folder.glob("*.json")):
        meta = json.loads(sidecar.read_text())
        model = registry.load(sidecar.with_suffix(".npz"))
        names = [meta["system"]] if "system" in meta else list(meta["zero_shot"])
        scores = {name: _evaluate(model, experiment.make_split(_task(systems.get(name)))) for name in names}
        before = {name: meta["metrics"] if "system" in meta else meta["zero_shot"][name] for name in names}
        if "system" in meta:
            meta["metrics"] = scores[meta["system"]]
        else:
            meta["zero_shot"] = scores
        meta["rescored"] = datetime.date.today().isoformat()
        sidecar.write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        changed += [f"{sidecar.stem} {name}: VPT {before[name]['vpt_mean']:.3f} -> {scores[name]['vpt_mean']:.3f}"
                    for name in names]
    return changed


def main(argv=None, prog: str = "python -m core.forecasting.pretrain") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(families() + [MULTI]))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--out", type=Path, default=ASSETS)
    parser.add_argument("--rescore", action="store_true", help="re-measure the shipped checkpoints' sidecars only")
    args = parser.parse_args(argv)
    import torch

    if args.rescore:
        print("\n".join(rescore(args.out)))
        return 0
    torch.set_num_threads(os.cpu_count() or 1)
    for family in args.families.split(","):
        if family == MULTI:
            path = pretrain_multi(args.out, progress=lambda f, info=None: print(f"  {MULTI} {f:.0%} {info or ''}",
                                                                                 flush=True))
            print(f"{family}: {path} ({path.stat().st_size / 1e6:.2f} MB)", flush=True)
            continue
        for system in args.systems.split(","):
            path = pretrain_one(family, system, args.out)
            meta = json.loads(path.with_suffix(".json").read_text())
            print(f"{family} on {system}: {meta['fit_seconds']} s, VPT {meta['metrics']['vpt_mean']:.2f}, "
                  f"{path.stat().st_size / 1e6:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
