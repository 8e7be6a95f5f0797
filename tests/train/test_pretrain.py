"""Pretraining trains for real (loss goes down on Fashion-MNIST), checkpoints and resumes exactly."""
import numpy as np
import pandas as pd
import pytest
import torch

from kit.data import load_source
from kit.errors import ConfigError, Interrupted
from kit.models import load_model
from kit.paths import FASHION_MNIST_DIR
from kit.train.pretrain import pretrain


@pytest.fixture(scope="module")
def small():
    if (FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        return load_source({"kind": "fashion_mnist", "split": "test", "limit": 512})
    return load_source({"kind": "digits", "limit": 512})


@pytest.mark.parametrize("objective, extra", [("reconstruction", {}), ("denoising", {"rotation_beta": 0.1})])
def test_loss_decreases(tmp_path, small, objective, extra):
    pretrain(small.images, tmp_path, model="conv_ae4", model_kwargs={"latent_dim": 32}, objective=objective,
             epochs=3, batch_size=64, lr=2e-3, val_images=small.images, val_labels=small.labels, progress=False, **extra)
    m = pd.read_csv(tmp_path / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3]
    assert m["train_mse"].iloc[-1] < 0.7 * m["train_mse"].iloc[0]
    assert m["val_acc"].between(0.1, 1).all()
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["last.pt"]  # keep_every 0: no disk filling
    model = load_model(tmp_path)
    assert model.encode(torch.rand(2, *small.images.shape[3:], *small.images.shape[1:3])).shape == (2, 32)


def test_simclr_with_augmentation_backends(tmp_path, small):
    for backend in ("albumentations", "tensor"):
        pretrain(small.images[:128], tmp_path / backend, model="conv_ae4", model_kwargs={"latent_dim": 16},
                 objective="simclr", augment="heavy", augment_backend=backend, epochs=1, batch_size=64, progress=False)
        m = pd.read_csv(tmp_path / backend / "metrics.csv")
        assert np.isfinite(m["train_loss"]).all() and m["train_mse"].isna().all()


def test_resume_after_interruption_gives_identical_weights(tmp_path, small, monkeypatch):
    import kit.train.pretrain as mod

    kw = dict(model="mlp_ae", model_kwargs={"latent_dim": 8}, objective="denoising", augment="light",
              batch_size=64, lr=1e-3, seed=3, epochs=4, progress=False)
    data = small.images[:256]
    pretrain(data, tmp_path / "full", **kw)

    real_write = mod.write_csv

    def crash_after_epoch_2(path, df):
        real_write(path, df)
        if len(df) == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(mod, "write_csv", crash_after_epoch_2)
    with pytest.raises(Interrupted, match="rerun to resume from epoch 3"):
        pretrain(data, tmp_path / "cut", **kw)
    assert not (tmp_path / "cut" / "model.pt").exists()
    monkeypatch.setattr(mod, "write_csv", real_write)
    pretrain(data, tmp_path / "cut", resume=True, **kw)
    full, cut = load_model(tmp_path / "full").state_dict(), load_model(tmp_path / "cut").state_dict()
    assert all(torch.equal(full[k], cut[k]) for k in full)
    assert pd.read_csv(tmp_path / "cut" / "metrics.csv")["epoch"].tolist() == [1, 2, 3, 4]


def test_bad_options(tmp_path, small):
    with pytest.raises(ConfigError, match="objective must be one of"):
        pretrain(small.images, tmp_path, objective="magic", progress=False)
    with pytest.raises(ConfigError, match="has no decoder"):
        pretrain(small.images, tmp_path, model="cifar_resnet18", objective="reconstruction", progress=False)
    with pytest.raises(ConfigError, match="augment must be one of"):
        pretrain(small.images, tmp_path, augment="extreme", progress=False)
