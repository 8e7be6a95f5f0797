"""Pretraining trains for real (loss goes down on Fashion-MNIST), logs the val_acc and SimCLR loss it defines,
checkpoints and resumes exactly."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from kit.data import load_source
from kit.errors import ConfigError, Interrupted
from kit.models import create_model, load_model
from kit.paths import FASHION_MNIST_DIR
from kit.train.objectives import PretrainObjective
from kit.train.pretrain import pretrain
from tests.interrupts import crash_after_epoch


@pytest.fixture(scope="module")
def small():
    if (FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        return load_source({"kind": "fashion_mnist", "split": "test", "limit": 512})
    return load_source({"kind": "digits", "limit": 512})


def hungarian_accuracy(y, pred):
    """Share of images whose cluster is matched to their class, under the best one-to-one matching."""
    counts = np.zeros((y.max() + 1, pred.max() + 1))
    np.add.at(counts, (y, pred), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return counts[rows, cols].sum() / len(y)


def pixels(images):
    """uint8 N,H,W,C -> float N,C,H,W in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255


def nt_xent_fp64(z1, z2, temperature):
    """SimCLR's loss in float64: row i of the 2N unit rows must pick its other view among the 2N - 1 other rows."""
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    n2 = len(z)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    partner = (torch.arange(n2) + n2 // 2) % n2
    return float((torch.logsumexp(sim, 1) - sim[torch.arange(n2), partner]).mean())


@pytest.mark.parametrize("objective, extra", [("reconstruction", {}), ("denoising", {"rotation_beta": 0.1})])
def test_loss_decreases(tmp_path, small, objective, extra):
    pretrain(small.images, tmp_path, model="conv_ae4", model_kwargs={"latent_dim": 32}, objective=objective,
             epochs=3, batch_size=64, lr=2e-3, val_images=small.images, val_labels=small.labels, progress=False, **extra)
    m = pd.read_csv(tmp_path / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3]
    assert m["train_mse"].iloc[-1] < 0.7 * m["train_mse"].iloc[0]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["last.pt"]  # keep_every 0: no disk filling
    model = load_model(tmp_path)
    assert model.encode(torch.rand(2, *small.images.shape[3:], *small.images.shape[1:3])).shape == (2, 32)
    # val_acc as documented: K-Means (k = number of classes, n_init 3, random_state seed) on the eval-mode codes of
    # the (at most 2000) validation images drawn by default_rng(seed), Hungarian-matched to their labels. The saved
    # model is the last epoch's, so it must give that epoch's val_acc.
    idx = np.random.default_rng(0).choice(len(small.images), len(small.images), replace=False)
    model.eval()
    with torch.no_grad():
        z = model.encode(pixels(small.images[idx])).numpy()
    pred = KMeans(len(np.unique(small.labels)), n_init=3, random_state=0).fit_predict(z)
    want = hungarian_accuracy(np.asarray(small.labels)[idx], pred)
    assert m["val_acc"].iloc[-1] == pytest.approx(want, abs=1e-9)
    assert want > 0.3  # ten classes: well above the 0.1 of chance, the codes carry class information


@pytest.mark.parametrize("backend", ["albumentations", "tensor"])
def test_simclr_loss_is_nt_xent_of_two_augmented_views(tmp_path, small, monkeypatch, backend):
    """One step (batch = the 128 images): the logged loss is the float64 NT-Xent of the initial network's projections
    of the two views the chosen back end made, and those views differ from the images and from each other."""
    import kit.train.pretrain as mod

    calls = {"albumentations": [], "tensor": []}
    real_alb, real_tensor = mod.apply_albumentations, mod.tensor_augment

    def spy_alb(pipeline, batch):
        out = real_alb(pipeline, batch)
        calls["albumentations"].append((pixels(batch), pixels(out)))
        return out

    def spy_tensor(x, preset, generator=None):
        out = real_tensor(x, preset, generator)
        calls["tensor"].append((x.clone(), out.clone()))
        return out

    monkeypatch.setattr(mod, "apply_albumentations", spy_alb)
    monkeypatch.setattr(mod, "tensor_augment", spy_tensor)
    pretrain(small.images[:128], tmp_path, model="conv_ae4", model_kwargs={"latent_dim": 16}, objective="simclr",
             augment="heavy", augment_backend=backend, temperature=0.5, epochs=1, batch_size=128, seed=0,
             progress=False)
    other = "tensor" if backend == "albumentations" else "albumentations"
    assert len(calls[backend]) == 2 and calls[other] == []
    (x, v1), (x_again, v2) = calls[backend]
    assert torch.equal(x, x_again)  # both views of the same batch
    assert (v1 - x).abs().mean() > 0.02 and (v2 - x).abs().mean() > 0.02 and (v1 - v2).abs().mean() > 0.02

    torch.manual_seed(0)  # the initial network and projection head, built as pretrain builds them
    init = PretrainObjective(create_model("conv_ae4", 1, small.images.shape[1], latent_dim=16), "simclr")
    init.train()
    with torch.no_grad():
        p = init.heads["projection"](init.net.encode(torch.cat([v1, v2])))
    m = pd.read_csv(tmp_path / "metrics.csv")
    assert m["train_mse"].isna().all()
    assert m["train_loss"].iloc[0] == pytest.approx(nt_xent_fp64(p[:128], p[128:], 0.5), rel=1e-5)


def test_resume_after_interruption_gives_identical_weights(tmp_path, small, monkeypatch):
    import kit.train.pretrain as mod

    kw = dict(model="mlp_ae", model_kwargs={"latent_dim": 8}, objective="denoising", augment="light",
              batch_size=64, lr=1e-3, seed=3, epochs=4, progress=False)
    data = small.images[:256]
    pretrain(data, tmp_path / "full", **kw)

    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 2)
        with pytest.raises(Interrupted, match="rerun to resume from epoch 3"):
            pretrain(data, tmp_path / "cut", **kw)
    assert not (tmp_path / "cut" / "model.pt").exists()
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
