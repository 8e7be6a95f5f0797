"""image_range: every autoencoder works in [0, 1] (sigmoid) or [-1, 1] (2x-1 in, tanh out), always [0, 1] outside."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from kit.data.digits import load_digits
from kit.errors import ConfigError
from kit.models import create_model, list_models, load_model, save_model

AUTOENCODERS = [n for n in list_models() if not n.startswith("timm:")
                and getattr(create_model(n, 1, 8), "is_autoencoder", False)]
SMALL = {"mlp_ae": {"latent_dim": 8, "hidden": [32]}}  # the others are small enough at 1x28x28 as they are


def build(name, seed=0, **kwargs):
    torch.manual_seed(seed)
    return create_model(name, 1, 28, **SMALL.get(name, {}), **kwargs)


def first_layer(model: nn.Module) -> nn.Module:
    """The first Conv2d/Linear the input goes through (modules are registered encoder first in every model)."""
    return next(m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def first_layer_input_min(model: nn.Module, x: torch.Tensor) -> float:
    seen = []
    handle = first_layer(model).register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].min().item()))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    assert len(seen) == 1
    return seen[0]


def test_every_autoencoder_is_covered():
    assert {"mlp_ae", "conv_ae4", "conv_ae5", "skip_ae", "resnet_ae"} <= set(AUTOENCODERS)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_signed_range_feeds_negative_inputs_and_returns_unit_images(name):
    torch.manual_seed(1)
    x = torch.rand(4, 1, 28, 28)
    signed = build(name, image_range=[-1, 1]).eval()
    assert signed.image_range == [-1, 1]
    z, x_hat = signed(x)
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1
    assert first_layer_input_min(signed, x) < 0
    plain = build(name).eval()
    assert plain.image_range == [0, 1]
    assert first_layer_input_min(plain, x) >= 0
    signed.train()(x)[1].pow(2).mean().backward()  # trainable in train mode too
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in signed.parameters())


def test_signed_decode_is_tanh_mapped_to_unit_interval():
    model = build("mlp_ae", image_range=(-1, 1)).eval()
    z = torch.randn(5, model.latent_dim)
    with torch.no_grad():
        pre = model.decoder(z)  # decoder pre-activation, computed directly
        expected = ((torch.tanh(pre) + 1) / 2).view(-1, 1, 28, 28)
        assert torch.allclose(model.decode(z), expected, atol=1e-6)
        x = torch.rand(5, 1, 28, 28)
        assert torch.allclose(model.encode(x), model.encoder((2 * x - 1).flatten(1)), atol=1e-6)
        # the default model ends in a sigmoid on the same pre-activation
        plain = build("mlp_ae").eval()
        assert torch.equal(plain.decode(z), torch.sigmoid(plain.decoder(z)).view(-1, 1, 28, 28))


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_default_is_unchanged(name):
    default, explicit = build(name), build(name, image_range=[0, 1])
    sd_a, sd_b = default.state_dict(), explicit.state_dict()
    assert sd_a.keys() == sd_b.keys() and all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
    # same parameters as a model built with [-1, 1] too: the option changes no layer
    signed = build(name, image_range=[-1, 1]).state_dict()
    assert all(torch.equal(sd_a[k], signed[k]) for k in sd_a)
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        za, xa = default.eval()(x)
        zb, xb = explicit.eval()(x)
        assert torch.equal(za, zb) and torch.equal(xa, xb)


@pytest.mark.parametrize("name", ["mlp_ae", "conv_ae4"])
def test_save_load_keeps_image_range(tmp_path, name):
    kwargs = {**SMALL.get(name, {}), "image_range": [-1, 1]}
    model = build(name, image_range=[-1, 1]).eval()
    save_model(model, tmp_path / "m", name, kwargs, 1, 28)
    loaded = load_model(tmp_path / "m")
    assert loaded.image_range == [-1, 1]
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x)[1], loaded(x)[1])
        assert torch.equal(model.encode(x), loaded.encode(x))


@pytest.mark.parametrize("bad", [[0, 2], "x", [1, -1], [0], [-1, 1, 0], [True, False], None])
@pytest.mark.parametrize("name", AUTOENCODERS)
def test_bad_image_range_is_a_config_error(name, bad):
    with pytest.raises(ConfigError, match="image_range") as info:
        create_model(name, 1, 28, image_range=bad)
    assert "\n" not in str(info.value) and "[-1, 1]" in str(info.value)


def test_float_values_are_normalised():
    assert build("mlp_ae", image_range=(-1.0, 1.0)).image_range == [-1, 1]
    assert build("mlp_ae", image_range=[0.0, 1]).image_range == [0, 1]


def test_tiny_pretrain_with_signed_range(tmp_path):
    from kit.train.pretrain import pretrain

    images = load_digits().images
    if images.ndim == 3:
        images = images[..., None]
    assert images.dtype == np.uint8 and images.shape[1:] == (8, 8, 1)
    out = pretrain(images, tmp_path / "m", model="mlp_ae", model_kwargs={"latent_dim": 8, "image_range": [-1, 1]},
                   epochs=3, batch_size=64, progress=False, device="cpu")
    loss = pd.read_csv(out / "metrics.csv")["train_loss"].to_numpy()
    assert len(loss) == 3 and np.isfinite(loss).all() and loss[-1] < loss[0]
    model = load_model(out)
    assert model.image_range == [-1, 1]
    x = torch.from_numpy(images[:16]).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        x_hat = model(x)[1]
    assert 0 <= x_hat.min() and x_hat.max() <= 1
