"""Trained models on disk, keyed by everything they were trained on, with their provenance.

A record is a model file (``core.forecasting.families``' ``.npz``) and a JSON sidecar: system, parameters,
dt, training length, noise, seed, family, hyper-parameters, metrics, package versions. Both are
written atomically; a corrupt or incompatible record raises ``StoreError`` naming the file, and
``discard`` removes just that record so it can be retrained. A model's ``provenance`` says how its
hyper-parameters were chosen (by hand, or by ``core.forecasting.tuning`` with its budget, trials and scores);
``save_tuning``/``load_tuning`` remember the tuned configuration of a family for a training set,
so pressing Train again with auto-tune on reuses it instead of searching again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from core import versions, written_aside
from core.errors import ChaosLabError
from core.forecasting.families import registry
from core.forecasting.families.base import Forecaster


class StoreError(ChaosLabError, RuntimeError):
    """A stored model that cannot be used; the message names it and says what to do."""


def default_root() -> Path:
    root = os.environ.get("CHAOSLAB_STORE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "chaoslab", "models"
    )
    return Path(root)


@dataclass(frozen=True)
class TrainingSpec:
    """What a model was trained on: the key of the store."""

    system: str
    params: dict
    dt: float
    n_train: int
    noise: float
    seed: int
    family: str
    hparams: dict

    def key(self) -> str:
        text = json.dumps(self.__dict__, sort_keys=True, default=float)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def tuning_key(self, settings: dict) -> str:
        """The key of a tuning: the training set and family with the tuning's ``settings`` (budget,
        horizon, ε …) in place of the hyper-parameters it chooses."""
        text = json.dumps({**self.__dict__, "hparams": settings}, sort_keys=True, default=float)
        return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class Record:
    spec: TrainingSpec
    model: Forecaster
    metrics: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    created: float = 0.0
    provenance: dict = field(default_factory=dict)


def _atomic_write(path: Path, data: bytes) -> None:
    with written_aside(path) as scratch:
        scratch.write_bytes(data)


class ModelStore:
    """A directory of trained models: ``save``, ``load`` (None when absent), ``discard``, ``records``."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.root.mkdir(parents=True, exist_ok=True)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.npz", self.root / f"{key}.json"

    def save(self, spec: TrainingSpec, model: Forecaster, metrics: dict | None = None,
             provenance: dict | None = None) -> Record:
        model_path, meta_path = self._paths(spec.key())
        model.save(model_path)  # atomic itself
        record = Record(spec, model, dict(metrics or {}), versions(), time.time(), dict(provenance or {}))
        meta = {"spec": spec.__dict__, "metrics": record.metrics, "versions": record.versions,
                "created": record.created, "provenance": record.provenance}
        _atomic_write(meta_path, json.dumps(meta, indent=1, default=float).encode())
        return record

    def load(self, spec: TrainingSpec) -> Record | None:
        model_path, meta_path = self._paths(spec.key())
        if not model_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            model = registry.load(model_path)
        except (json.JSONDecodeError, OSError, registry.StoreFormatError) as exc:
            raise StoreError(f"stored model {model_path.name} is unreadable ({exc}); discard it and retrain") from None
        return Record(spec, model, meta.get("metrics", {}), meta.get("versions", {}), meta.get("created", 0.0),
                      meta.get("provenance", {}))

    def save_tuning(self, spec: TrainingSpec, settings: dict, provenance: dict) -> None:
        """Remember how ``spec.family`` was tuned with ``settings`` for ``spec``'s training set
        (``spec.hparams`` is ignored: they are what the tuning chose)."""
        path = self.root / f"tuning-{spec.tuning_key(settings)}.json"
        _atomic_write(path, json.dumps({"spec": {**spec.__dict__, "hparams": None}, "settings": settings,
                                        "tuning": provenance}, indent=1, default=float).encode())

    def load_tuning(self, spec: TrainingSpec, settings: dict) -> dict | None:
        """The remembered tuning of ``spec.family`` with ``settings`` for ``spec``'s training set, or None."""
        path = self.root / f"tuning-{spec.tuning_key(settings)}.json"
        try:
            return json.loads(path.read_text())["tuning"]
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError, KeyError) as exc:
            raise StoreError(f"remembered tuning {path.name} is unreadable ({exc}); delete it to tune again") from None

    def discard(self, spec: TrainingSpec) -> None:
        for path in self._paths(spec.key()):
            path.unlink(missing_ok=True)

    def records(self) -> list[dict]:
        """Provenance of every stored model (unreadable sidecars are skipped)."""
        out = []
        for meta_path in sorted(p for p in self.root.glob("*.json") if not p.name.startswith("tuning-")):
            try:
                out.append(json.loads(meta_path.read_text()))
            except (json.JSONDecodeError, OSError):
                continue
        return out
