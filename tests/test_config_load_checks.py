"""Mistakes a run config used to reveal only after pretraining (or after the whole run) fail at load, in one line:
seeds of reducers and clusterers, submit.copy_to, timm + latent_dim, a CUDA device on a machine without one, and
PCA components above the features' width when that width is known at load."""
import json

import numpy as np
import pytest

from kit.config import copy_destination, feature_dim, validate_config
from kit.errors import ConfigError

MAKE = {"make": {"source": {"kind": "digits"}, "type": "label"}}


def _cfg(**sections):
    return {"name": "x", "competition": dict(MAKE), "cluster": {"method": "kmeans", "n_clusters": 10}, **sections}


PRE = {"model": "mlp_ae", "model_kwargs": {"latent_dim": 8}, "epochs": 1}


@pytest.mark.parametrize("patch, message", [
    ({"cluster": {"method": "kmeans", "n_clusters": 10, "seed": -1}},
     r"cluster\.kmeans\.seed must be an integer >= 0 and <= 4294967295, got -1"),
    ({"cluster": {"method": "gmm", "n_clusters": 10, "random_state": 2**32}}, r"cluster\.gmm\.random_state must be"),
    ({"reduce": [{"method": "pca", "n_components": 2, "seed": -1}]}, r"reduce\.pca\.seed must be an integer >= 0"),
    ({"refine": {"model": "small_cnn", "freeze_encoder": False, "neighbor_features": "pixels",
                 "neighbor_reduce": [{"method": "pca", "seed": -5}]}}, r"reduce\.pca\.seed must be"),
])
def test_reducer_and_clusterer_seeds_fail_at_load(patch, message):
    with pytest.raises(ConfigError, match=message) as e:
        validate_config(_cfg(**patch))
    assert "\n" not in str(e.value)


# --- submit.copy_to -------------------------------------------------------------------------------------------

def test_copy_to_under_a_file_fails_at_load(tmp_path):
    (tmp_path / "ofile").write_text("x")
    with pytest.raises(ConfigError, match=r"submit\.copy_to .*ofile is a file, so .*ofile/x\.csv cannot be created"):
        validate_config(_cfg(submit={"copy_to": str(tmp_path / "ofile" / "x.csv")}))
    with pytest.raises(ConfigError, match=r"submit\.copy_to must be a file path \(or null: no copy\), got 3"):
        validate_config(_cfg(submit={"copy_to": 3}))


def test_copy_to_a_folder_means_inside_it_named_after_the_run(tmp_path):
    (tmp_path / "odir").mkdir()
    for given in (tmp_path / "odir", f"{tmp_path / 'odir'}/", f"{tmp_path / 'new'}/"):
        cfg = validate_config(_cfg(submit={"copy_to": str(given)}))
        assert cfg["submit"]["copy_to"] == str(given).rstrip("/") + "/x-{id}.csv"
    assert not (tmp_path / "new").exists()  # nothing is made at load
    assert validate_config(_cfg(submit={"copy_to": None}))["submit"]["copy_to"] is None
    assert copy_destination("", "x") is None
    assert copy_destination("subs/{id}.csv", "x") == "subs/{id}.csv"


# --- models and devices -----------------------------------------------------------------------------------------

def test_timm_with_latent_dim_fails_at_load():
    with pytest.raises(ConfigError, match=r"pretrain\.model_kwargs\.latent_dim: timm encoders ignore latent_dim"):
        validate_config(_cfg(pretrain={"model": "timm:test_resnet", "model_kwargs": {"latent_dim": 8}}))
    with pytest.raises(ConfigError, match=r"did you mean 'input_size'"):
        validate_config(_cfg(pretrain={"model": "timm:test_resnet", "model_kwargs": {"input_sise": 32}}))
    with pytest.raises(ConfigError, match=r"timm has no model 'test_resnt'; did you mean 'test_resnet'"):
        validate_config(_cfg(pretrain={"model": "timm:test_resnt"}))
    validate_config(_cfg(pretrain={"model": "timm:test_resnet", "model_kwargs": {"input_size": 32}}))


def test_a_cuda_device_is_checked_at_load(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for section, options in (("refine", {"model": "small_cnn", "freeze_encoder": False,
                                         "neighbor_features": "pixels", "device": "cuda"}),
                             ("pretrain", {**PRE, "device": "cuda:0"})):
        with pytest.raises(ConfigError, match=rf"{section}\.device is 'cuda(:0)?', but this machine has no CUDA GPU"):
            validate_config(_cfg(**{section: options}))
    with pytest.raises(ConfigError, match=r"pretrain\.device must be auto, cpu or cuda\[:N\], got 'cudax'"):
        validate_config(_cfg(pretrain={**PRE, "device": "cudax"}))
    validate_config(_cfg(pretrain={**PRE, "device": "cpu"}))
    validate_config(_cfg(pretrain={**PRE, "device": "auto"}))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match=r"pretrain\.device is 'cuda:1', but this machine has 1 CUDA GPU"):
        validate_config(_cfg(pretrain={**PRE, "device": "cuda:1"}))
    validate_config(_cfg(pretrain={**PRE, "device": "cuda:0"}))


# --- the features' width, when known at load ------------------------------------------------------------------

def _folder(tmp_path, n=50, shape=(8, 8, 1)):
    comp = tmp_path / "comp"
    comp.mkdir()
    (comp / "competition.json").write_text(json.dumps({"type": "label", "metric": "accuracy", "n_classes": 10,
                                                       "n_images": n}))
    np.savez(comp / "images.npz", ids=np.array([f"i{k}" for k in range(n)]), images=np.zeros((n, *shape), np.uint8))
    return {"dir": str(comp)}


def test_raw_pixels_of_an_existing_folder_bound_pca(tmp_path):
    comp = _folder(tmp_path, n=500, shape=(4, 4, 3))
    with pytest.raises(ConfigError, match=r"reduce\.pca\.n_components=49 is larger than the data allows \(48 for 500 "
                                          r"points x 48 features\); the features are the raw pixels of 4 x 4 x 3"):
        validate_config(_cfg(competition=comp, reduce=[{"method": "pca", "n_components": 49}]))
    with pytest.raises(ConfigError, match=r"n_components=20 is larger than the data allows \(10 for 500 points x 10"):
        validate_config(_cfg(competition=comp, reduce=[{"method": "pca", "n_components": 10},
                                                       {"method": "pca", "n_components": 20}]))
    validate_config(_cfg(competition=comp, reduce=[{"method": "pca", "n_components": 48}]))


def test_a_pretrain_latent_dim_bounds_pca_even_before_the_competition_exists():
    with pytest.raises(ConfigError, match=r"reduce\.pca\.n_components=9 is larger .*\(8 for 8 features\); the features "
                                          r"are the pretrain model's latent code \(pretrain\.model_kwargs\.latent_dim 8\)"):
        validate_config(_cfg(pretrain=PRE, reduce=[{"method": "pca", "n_components": 9}]))
    with pytest.raises(ConfigError, match=r"mlp_ae's default latent_dim 32"):
        validate_config(_cfg(pretrain={"model": "mlp_ae"}, reduce=[{"method": "pca", "n_components": 33}]))
    validate_config(_cfg(pretrain=PRE, reduce=[{"method": "pca", "n_components": 8}]))


def test_unknown_widths_are_left_to_the_stage():
    # raw pixels of a competition not built yet, a timm backbone, a model without a latent_dim, class logits
    for cfg in (_cfg(), _cfg(pretrain={"model": "timm:test_resnet"}), _cfg(pretrain={"model": "conv_ae4"}),
                _cfg(pretrain=PRE, finetune={"epochs": 1}, extract={"model": "finetune", "kind": "logits"})):
        cfg = validate_config({**cfg, "reduce": [{"method": "pca", "n_components": 5000}]})
        from kit.config import competition_facts

        assert feature_dim(cfg, competition_facts(cfg["competition"])) is None


def test_every_model_with_a_latent_dim_encodes_to_that_width():
    """feature_dim trusts a model's latent_dim: every registered model that takes one gives features that wide."""
    import torch

    from kit.models.registry import MODELS, create_model
    from kit.registry import _parameters

    checked = 0
    for name in MODELS.names:
        if "latent_dim" not in _parameters(MODELS.get(name)):
            continue
        for latent in (7, _parameters(MODELS.get(name))["latent_dim"]):
            if latent is None:
                continue
            with torch.no_grad():
                z = create_model(name, 1, 28, latent_dim=latent).eval().encode(torch.rand(2, 1, 28, 28))
            assert tuple(z.shape) == (2, latent), name
            checked += 1
    assert checked >= 6
