"""Pretrained checkpoints: how they are written, found and loaded, and the ones that ship."""

import json

import numpy as np
import pytest

from core import integrate, pretrain, systems


def test_pretrain_one_writes_a_checkpoint_with_its_provenance(tmp_path):
    path = pretrain.pretrain_one("nvar", "Henon", tmp_path)  # a fast family; torch ones take minutes
    meta = json.loads(path.with_suffix(".json").read_text())
    assert path.name == "nvar__Henon.npz"
    assert meta["family"] == "nvar" and meta["system"] == "Henon" and meta["n_train"] == pretrain.N_TRAIN
    assert meta["params"] == {k: float(v) for k, v in systems.get("Henon").params.items()}
    assert meta["metrics"]["vpt_mean"] > 1 and "torch" in meta["versions"]
    assert meta["command"] == "python -m core.pretrain --families nvar --systems Henon"
    shipped = pretrain.load("nvar", "Henon", tmp_path)
    assert not shipped.zero_shot and pretrain.available(tmp_path) == {"nvar": ["Henon"]}
    data = integrate.trajectory(systems.get("Henon"), n=300).x
    assert shipped.model.predict(data, 10).shape == (10, 2)


def test_a_missing_checkpoint_says_what_does_exist(tmp_path):
    pretrain.pretrain_one("nvar", "Henon", tmp_path)
    with pytest.raises(pretrain.PretrainedError, match="no pretrained nvar for Lorenz: it is pretrained on Henon"):
        pretrain.load("nvar", "Lorenz", tmp_path)
    with pytest.raises(pretrain.PretrainedError, match="no pretrained checkpoint of it ships"):
        pretrain.load("esn", "Lorenz", tmp_path)


def test_multi_system_training_set_leaves_the_held_out_flows_out():
    names = pretrain.multi_system_names()
    assert len(names) == pretrain.MULTI_SYSTEMS
    assert not set(names) & set(pretrain.HELD_OUT)
    assert all(systems.get(n).dim == 3 and systems.get(n).kind == "flow" for n in names)


SHIPPED = sorted(pretrain.ASSETS.glob("*.npz"))


def test_the_shipped_checkpoints_cover_every_torch_family_and_are_small():
    found = pretrain.available()
    for family in pretrain.FAMILIES:
        assert set(found.get(family, [])) == set(pretrain.SYSTEMS), family
    assert pretrain.MULTI in found
    assert sum(p.stat().st_size for p in SHIPPED) < 8e6  # a few MB in all


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_each_shipped_checkpoint_loads_and_forecasts_its_system(path):
    meta = json.loads(path.with_suffix(".json").read_text())
    system_name = meta.get("system", "Lorenz")  # the multi-system model: a held-out flow
    shipped = pretrain.load(meta["family"], system_name)
    system = systems.get(system_name)
    data = integrate.trajectory(system, n=400, dt=system.dt, transient=500).x
    forecast = shipped.model.predict(data, 50)
    assert forecast.shape == (50, system.dim) and np.all(np.isfinite(forecast))
    if shipped.zero_shot:
        assert system_name in meta["held_out"] and system_name not in meta["trained_on"]
        assert set(meta["zero_shot"]) == set(meta["held_out"])
