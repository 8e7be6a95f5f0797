"""Frozen finetuning leaves the encoder untouched and learns; extraction covers every image."""
import numpy as np
import pytest
import torch

from kit.data import load_source
from kit.errors import ConfigError
from kit.features.files import load_features
from kit.models import load_model
from kit.train.extract import extract_features, reconstruction_errors
from kit.train.finetune import finetune, predict
from kit.train.pretrain import pretrain


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    d = load_source({"kind": "digits"})
    out = tmp_path_factory.mktemp("pre")
    pretrain(d.images, out, model="mlp_ae", model_kwargs={"latent_dim": 16}, epochs=5, batch_size=128, lr=2e-3, progress=False)
    return d, out


def test_frozen_finetune_keeps_encoder_and_learns(tmp_path, pretrained):
    d, model_dir = pretrained
    rng = np.random.default_rng(0)
    lab = np.concatenate([rng.choice(np.flatnonzero(d.labels == c), 10, replace=False) for c in range(10)])
    # no augmentation: "light" flips, and a flipped 8x8 digit is often another digit
    finetune(model_dir, d.images[lab], d.labels[lab], tmp_path / "ft", freeze_encoder=True, epochs=40, augment="none",
             progress=False)
    before, after = load_model(model_dir).state_dict(), load_model(tmp_path / "ft").encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm buffers included
    rest = np.setdiff1d(np.arange(len(d)), lab)
    acc = (predict(load_model(tmp_path / "ft"), d.images[rest]) == d.labels[rest]).mean()
    assert acc > 0.5  # 100 labels, 10 classes: chance is 0.1


def test_unfrozen_finetune_changes_encoder(tmp_path, pretrained):
    d, model_dir = pretrained
    finetune(model_dir, d.images[:100], d.labels[:100], tmp_path / "ft", freeze_encoder=False, epochs=2, progress=False)
    before, after = load_model(model_dir).state_dict(), load_model(tmp_path / "ft").encoder.state_dict()
    assert not all(torch.equal(before[k], after[k]) for k in before)


def test_extract_latent_logits_raw(tmp_path, pretrained):
    d, model_dir = pretrained
    ids, f = load_features(extract_features(model_dir, d, tmp_path / "z.npz"))
    assert f.shape == (len(d), 16) and (ids == d.ids).all()
    ids, f = load_features(extract_features("raw", d, tmp_path / "r.npz"))
    assert f.shape == (len(d), 64) and f.max() == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="needs a finetuned model"):
        extract_features(model_dir, d, tmp_path / "l.npz", kind="logits")
    finetune(model_dir, d.images[:100], d.labels[:100], tmp_path / "ft", epochs=1, progress=False)
    _, f = load_features(extract_features(tmp_path / "ft", d, tmp_path / "l.npz", kind="logits"))
    assert f.shape == (len(d), 10)


def test_reconstruction_error_flags_out_of_distribution(pretrained):
    d, model_dir = pretrained
    model = load_model(model_dir)
    normal = reconstruction_errors(model, d.images[:300])
    noise = reconstruction_errors(model, np.random.default_rng(0).integers(0, 256, (300, 8, 8, 1), dtype=np.uint8))
    assert noise.mean() > 2 * normal.mean()


def test_joint_reconstruction_loss_trains_the_decoder_and_keeps_reconstructions(tmp_path, pretrained):
    d, model_dir = pretrained
    kw = dict(freeze_encoder=False, epochs=15, augment="none", lr=1e-2, progress=False)
    finetune(model_dir, d.images[:200], d.labels[:200], tmp_path / "ce", **kw)
    finetune(model_dir, d.images[:200], d.labels[:200], tmp_path / "joint", recon_weight=5.0, **kw)
    dec = lambda m: {k: v for k, v in m.state_dict().items() if k.startswith("decoder")}  # noqa: E731
    before, ce, joint = dec(load_model(model_dir)), dec(load_model(tmp_path / "ce").encoder), dec(load_model(tmp_path / "joint").encoder)
    assert before and all(torch.equal(before[k], ce[k]) for k in before)  # cross-entropy alone never reaches the decoder
    assert not all(torch.equal(before[k], joint[k]) for k in before)
    err = lambda p: reconstruction_errors(load_model(p).encoder, d.images[200:600]).mean()  # noqa: E731
    assert err(tmp_path / "joint") < err(tmp_path / "ce")  # the joint loss keeps the encoder a good code
    import pandas as pd

    assert "recon_mse" in pd.read_csv(tmp_path / "joint" / "metrics.csv")


def test_joint_loss_needs_a_trainable_autoencoder(tmp_path, pretrained):
    d, model_dir = pretrained
    with pytest.raises(ConfigError, match="recon_weight needs freeze_encoder: false"):
        finetune(model_dir, d.images[:50], d.labels[:50], tmp_path / "x", recon_weight=1.0, progress=False)
    with pytest.raises(ConfigError, match="recon_weight must be >= 0"):
        finetune(model_dir, d.images[:50], d.labels[:50], tmp_path / "x", recon_weight=-1.0, freeze_encoder=False)


def test_head_hidden_gives_the_head_a_hidden_layer(tmp_path, pretrained):
    """finetune's keyword is head_hidden (as refine's); the model folder keeps its format: meta["head"]["hidden"]."""
    import json

    d, model_dir = pretrained
    finetune(model_dir, d.images[:100], d.labels[:100], tmp_path / "ft", head_hidden=12, epochs=1, progress=False)
    widths = [m.out_features for m in load_model(tmp_path / "ft").head if isinstance(m, torch.nn.Linear)]
    assert widths == [12, 10]
    assert json.loads((tmp_path / "ft" / "model.json").read_text())["head"] == {"n_classes": 10, "hidden": 12}
    with pytest.raises(ConfigError, match=r"finetune\.head_hidden must be >= 0"):
        finetune(model_dir, d.images[:100], d.labels[:100], tmp_path / "bad", head_hidden=-1, progress=False)
