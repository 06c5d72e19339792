"""Pretrained checkpoints: how they are written, found and loaded, and the ones that ship."""

import json

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate
from core.forecasting import experiment, pretrain


def test_pretrain_one_writes_a_checkpoint_with_its_provenance(tmp_path):
    path = pretrain.pretrain_one("nvar", "Henon", tmp_path)  # a fast family; torch ones take minutes
    meta = json.loads(path.with_suffix(".json").read_text())
    assert path.name == "nvar__Henon.npz"
    assert meta["family"] == "nvar" and meta["system"] == "Henon" and meta["n_train"] == pretrain.N_TRAIN
    assert meta["params"] == {k: float(v) for k, v in systems.get("Henon").params.items()}
    assert meta["metrics"]["vpt_mean"] > 1 and "torch" in meta["versions"]
    assert meta["command"] == "python -m core.forecasting.pretrain --families nvar --systems Henon"
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
    for family in pretrain.families():
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


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_each_shipped_checkpoint_reproduces_the_vpt_its_sidecar_records(path):
    # the sidecar's metrics were measured by pretrain._evaluate on the same split (fixed seed);
    # a loaded model must forecast the same: a stale or mismatched checkpoint shows up here
    meta = json.loads(path.with_suffix(".json").read_text())
    if "system" in meta:
        shipped = pretrain.load(meta["family"], meta["system"])
        recorded = {meta["system"]: meta["metrics"]}
    else:  # the multi-system model: its zero-shot scores on two of the held-out flows (of 8: the
        # transformer's rollouts are the slowest part of the suite)
        shipped = pretrain.load(meta["family"], next(iter(meta["zero_shot"])))
        recorded = dict(list(meta["zero_shot"].items())[:2])
    for name, metrics in recorded.items():
        scores = pretrain._evaluate(shipped.model, experiment.make_split(pretrain._task(systems.get(name))))
        assert scores["vpt_mean"] == pytest.approx(metrics["vpt_mean"], abs=0.05 + 0.02 * metrics["vpt_mean"]), name
