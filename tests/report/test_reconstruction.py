"""Reconstructions are the model's forward pass: for skip_ae that is the skip path, not decode(encode(x))."""
import re

import numpy as np
import pytest
import torch

from kit.data.imageset import ImageSet
from kit.models import load_model
from kit.models.registry import create_model, save_model
from kit.models.skip_ae import SkipAutoEncoder
from kit.report import build_report
from kit.report.reconstruction import reconstruct, reconstruction_figure
from kit.train.loop import to_tensor
from tests.report.conftest import fake_competition, fake_run


def skip_model():
    torch.manual_seed(0)
    model = create_model("skip_ae", 1, 8, latent_dim=4, width=4)
    assert isinstance(model, SkipAutoEncoder)
    return model


def images(n=12):
    return np.random.default_rng(0).integers(0, 256, (n, 8, 8, 1), dtype=np.uint8)


def test_skip_ae_reconstruction_is_forward():
    model = skip_model().train()  # reconstruct must switch to eval: no random skip dropout
    x = to_tensor(images())
    x_hat = reconstruct(model, x)
    with torch.no_grad():
        forward = model.eval()(x)[1]
        bottleneck = model.decode(model.encode(x))
    assert torch.equal(x_hat, forward)
    assert (x_hat - bottleneck).abs().max() > 1e-3  # the skip path really differs from decode(encode(x))


def test_figure_caption_reports_forward_error(tmp_path):
    model, imgs = skip_model(), images()
    caption = reconstruction_figure(model, imgs, tmp_path / "r.png")
    x = to_tensor(imgs)
    with torch.no_grad():
        forward = ((model.eval()(x)[1] - x) ** 2).mean().item()
        bottleneck = ((model.decode(model.encode(x)) - x) ** 2).mean().item()
    shown = float(re.search(r"mean (\d\.\d+)", caption).group(1))
    assert shown == pytest.approx(forward, abs=6e-5)
    assert abs(forward - bottleneck) > 1e-3


def test_report_draws_skip_ae_through_forward(tmp_path):
    comp = fake_competition(tmp_path / "comp")
    model = skip_model()
    save_model(model, tmp_path / "model", "skip_ae", {"latent_dim": 4, "width": 4}, 1, 8)
    page = build_report([fake_run(tmp_path / "run", comp, model_dir=tmp_path / "model")], tmp_path / "out").read_text()
    loaded = load_model(tmp_path / "model")

    x = to_tensor(ImageSet.load(comp / "images.npz").images[:12])
    with torch.no_grad():
        forward = ((loaded(x)[1] - x) ** 2).mean().item()
    caption = re.search(r"src='reconstruction.png'.*?mean (\d\.\d+)", page, re.S).group(1)
    assert float(caption) == pytest.approx(forward, abs=6e-5)
