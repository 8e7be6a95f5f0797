"""Checkpoints load with weights_only=True: crafted, truncated or foreign files give one-line errors."""
import pickle

import numpy as np
import pytest
import torch

from kit.errors import ConfigError
from kit.train.loop import load_checkpoint, rng_state, set_rng_state
from kit.train.pretrain import pretrain


class _RunsCode:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/kit_pwned_by_checkpoint",))


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (64, 8, 8, 1), dtype=np.uint8)


KW = dict(model="mlp_ae", model_kwargs={"latent_dim": 4}, epochs=2, batch_size=32, progress=False)


def test_crafted_checkpoint_does_not_run_code(tmp_path, images):
    marker = __import__("pathlib").Path("/tmp/kit_pwned_by_checkpoint")
    marker.unlink(missing_ok=True)
    ck = tmp_path / "checkpoints" / "last.pt"
    ck.parent.mkdir(parents=True)
    torch.save({"model": _RunsCode()}, ck)  # torch.save pickles the object: loading unsafely would run it
    with pytest.raises(ConfigError, match="not a usable kit checkpoint.*--force"):
        pretrain(images, tmp_path, resume=True, **KW)
    assert not marker.exists()


def test_truncated_checkpoint_is_a_clean_error(tmp_path, images):
    pretrain(images, tmp_path, **KW)
    ck = tmp_path / "checkpoints" / "last.pt"
    ck.write_bytes(ck.read_bytes()[:200])
    with pytest.raises(ConfigError, match="not a usable kit checkpoint"):
        pretrain(images, tmp_path, resume=True, **{**KW, "epochs": 3})


def test_checkpoint_of_another_model_is_a_clean_error(tmp_path, images):
    pretrain(images, tmp_path, **KW)
    with pytest.raises(ConfigError, match=r"ran with pretrain.model_kwargs=\{'latent_dim': 4\} \(now \{'latent_dim': 7\}\)"
                                          ".*start fresh"):
        pretrain(images, tmp_path, resume=True, **{**KW, "model_kwargs": {"latent_dim": 7}, "epochs": 3})
    ck = tmp_path / "checkpoints" / "last.pt"  # options alike, states that do not fit: still one line
    state = torch.load(ck, weights_only=True)
    state["model"] = {"nonsense": torch.zeros(1)}
    torch.save(state, ck)
    with pytest.raises(ConfigError, match="checkpoint does not fit this pretrain.*start fresh"):
        pretrain(images, tmp_path, resume=True, **{**KW, "epochs": 3})


def test_real_checkpoint_loads_weights_only_and_restores_rng(tmp_path, images):
    pretrain(images, tmp_path, **KW)
    ck = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)  # would raise on any pickled object
    assert ck["epoch"] == 2 and set(ck["rng"]) >= {"torch", "numpy", "python"}
    np.random.seed(5)
    state = rng_state()
    a = np.random.rand(3)
    import random

    r = random.random()
    set_rng_state(load_checkpoint_roundtrip(tmp_path, state))
    assert np.array_equal(np.random.rand(3), a) and random.random() == r


def load_checkpoint_roundtrip(tmp_path, state):
    path = tmp_path / "rng.pt"
    torch.save({"model": {}, "rng": state}, path)
    return load_checkpoint(path, torch.device("cpu"))["rng"]


def test_not_a_dict_checkpoint(tmp_path):
    path = tmp_path / "x.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(ConfigError, match="not a kit checkpoint"):
        load_checkpoint(path, torch.device("cpu"))
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ConfigError):
        load_checkpoint(path, torch.device("cpu"))


@pytest.mark.parametrize("option,value,message", [
    ("epochs", 0, "epochs must be >= 1"), ("epochs", -3, "epochs must be >= 1"),
    ("batch_size", 0, "batch_size must be >= 1"), ("lr", -0.1, "lr must be > 0"), ("lr", 0, "lr must be > 0"),
    ("model_kwargs", {"latent_dim": 0}, "latent_dim must be an integer >= 1"),
])
def test_out_of_range_options_fail_before_training(tmp_path, images, option, value, message):
    with pytest.raises(ConfigError, match=message):
        pretrain(images, tmp_path / "m", **{**KW, option: value})
    assert not (tmp_path / "m").exists()


def test_resume_with_more_epochs_rebuilds_the_cosine_schedule(tmp_path, images):
    import math

    import pandas as pd

    pretrain(images, tmp_path, **{**KW, "epochs": 2, "lr": 0.01})
    pretrain(images, tmp_path, resume=True, **{**KW, "epochs": 4, "lr": 0.01})
    lrs = pd.read_csv(tmp_path / "metrics.csv")["lr"].tolist()
    # epochs 1-2 ran under a 2-epoch schedule; 3-4 continue a 4-epoch cosine (never climbing back up)
    assert lrs[:2] == pytest.approx([0.01, 0.01 * 0.5 * (1 + math.cos(math.pi / 2))])
    assert lrs[2:] == pytest.approx([0.01 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in (2, 3)])


def test_cuda_on_a_machine_without_one_is_a_clear_error(tmp_path, images):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        pretrain(images, tmp_path / "m", **{**KW, "device": "cuda"})
    assert not (tmp_path / "m").exists()
