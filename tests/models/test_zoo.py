"""Every registered model: forward/backward on gray and RGB inputs of several sizes, save/load round trip."""
import pytest
import torch

from kit.errors import ConfigError
from kit.models import create_model, list_models, load_model, save_model

NAMES = [n for n in list_models() if not n.startswith("timm:")] + ["timm:resnet18"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels, size", [(1, 28), (1, 8), (3, 32)])
def test_forward_backward(name, channels, size):
    torch.manual_seed(0)
    model = create_model(name, channels, size)
    x = torch.rand(3, channels, size, size)
    z = model.encode(x)
    assert z.shape == (3, model.latent_dim) and torch.isfinite(z).all()
    loss = z.pow(2).mean()
    if model.is_autoencoder:
        x_hat = model.decode(z)
        assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1
        loss = loss + (x_hat - x).pow(2).mean()
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("latent_dim", [1, 16, 1024])
def test_latent_dim_is_configurable(latent_dim):
    model = create_model("conv_ae4", 1, 28, latent_dim=latent_dim)
    assert model.encode(torch.rand(2, 1, 28, 28)).shape == (2, latent_dim)


def test_default_conv_ae4_latent_is_1024_on_32px():
    assert create_model("conv_ae4", 3, 32).latent_dim == 1024
    assert create_model("conv_ae5", 3, 32).latent_dim == 256


def test_unknown_model_and_bad_kwargs():
    with pytest.raises(ConfigError, match="unknown model 'conv_ae9'"):
        create_model("conv_ae9")
    with pytest.raises(ConfigError, match="model mlp_ae"):
        create_model("mlp_ae", 1, 8, latentdim=3)
    with pytest.raises(ConfigError, match="timm has no model"):
        create_model("timm:not_a_net")


def test_save_load_roundtrip(tmp_path):
    model = create_model("resnet_ae", 1, 28, latent_dim=8).eval()
    save_model(model, tmp_path / "m", "resnet_ae", {"latent_dim": 8}, 1, 28)
    loaded = load_model(tmp_path / "m")
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(model.encode(x), loaded.encode(x))
