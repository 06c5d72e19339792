"""The model store: keyed reloads, provenance, atomic files, corrupt records reported."""

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.forecasting.families import registry
from core.forecasting.store import ModelStore, StoreError, TrainingSpec


def spec(**changes):
    base = dict(system="Lorenz", params={"rho": 28.0}, dt=0.01, n_train=1000, noise=0.0, seed=0,
                family="nvar", hparams={"delays": 2})
    base.update(changes)
    return TrainingSpec(**base)


def test_same_configuration_loads_instead_of_retraining(tmp_path):
    store = ModelStore(tmp_path)
    data = integrate.trajectory(systems.get("Lorenz"), n=1200, dt=0.01).x
    model = registry.create("nvar", delays=2).fit(data[:1000], 0.01)
    store.save(spec(), model, metrics={"vpt": 7.5})
    record = store.load(spec())
    np.testing.assert_array_equal(record.model.predict(data, 20), model.predict(data, 20))
    assert record.metrics == {"vpt": 7.5} and "numpy" in record.versions
    assert store.load(spec(seed=1)) is None  # another configuration is another model
    assert [r["spec"]["family"] for r in store.records()] == ["nvar"]
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_record_is_reported_and_can_be_discarded(tmp_path):
    store = ModelStore(tmp_path)
    data = integrate.trajectory(systems.get("Lorenz"), n=500, dt=0.01).x
    store.save(spec(), registry.create("nvar", delays=2).fit(data, 0.01))
    (tmp_path / f"{spec().key()}.npz").write_bytes(b"not a model")
    with pytest.raises(StoreError, match="unreadable.*retrain"):
        store.load(spec())
    store.discard(spec())
    assert store.load(spec()) is None


def test_a_file_written_aside_appears_whole_or_not_at_all(tmp_path):
    import core

    path = tmp_path / "result.json"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with core.written_aside(path) as scratch:
            scratch.write_text("half of the new")
            assert path.read_text() == "old" and scratch.name.startswith(".result.json.")
            raise RuntimeError("killed mid-write")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["result.json"]
    with core.written_aside(path) as scratch:
        scratch.write_text("new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_every_record_names_the_same_packages():
    import core

    found = core.versions()
    assert {"python", "numpy", "scipy", "numba", "torch", "dysts"} <= set(found)
