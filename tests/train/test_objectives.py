"""Each objective gives a finite loss and finite, non-zero gradients; NT-Xent rewards matching views."""
import pytest
import torch

from kit.models import create_model
from kit.train.objectives import PretrainObjective, nt_xent


@pytest.mark.parametrize("model, objective, beta", [
    ("conv_ae4", "reconstruction", 0.0), ("mlp_ae", "denoising", 0.0), ("skip_ae", "reconstruction", 0.5),
    ("resnet_ae", "denoising", 0.5), ("conv_ae4", "simclr", 0.0), ("cifar_resnet18", "simclr", 0.2)])
def test_objective_loss_and_gradients_are_finite(model, objective, beta):
    torch.manual_seed(0)
    channels, size = (3, 16) if model == "cifar_resnet18" else (1, 16)
    net = create_model(model, channels, size, latent_dim=8)
    loss_fn = PretrainObjective(net, objective, rotation_beta=beta, noise_sigma=0.2, temperature=0.5)
    x = torch.rand(6, channels, size, size)
    x2 = (x + 0.05 * torch.randn_like(x)).clamp(0, 1) if objective == "simclr" else None
    loss, mse = loss_fn(x, x2, generator=torch.Generator().manual_seed(0))
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert (mse is None) == (objective == "simclr")
    loss.backward()
    grads = [p.grad for p in loss_fn.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert any(float(p.grad.abs().sum()) > 0 for p in net.parameters() if p.grad is not None)
    if beta > 0:
        assert loss_fn.heads["rotation"].weight.grad.abs().sum() > 0


def test_nt_xent_prefers_matching_pairs():
    torch.manual_seed(0)
    z = torch.randn(16, 32)
    matched = nt_xent(z, z + 0.01 * torch.randn_like(z), temperature=0.5)
    shuffled = nt_xent(z, z[torch.randperm(16)], temperature=0.5)
    assert matched < shuffled
    # lower temperature sharpens: with matching pairs the loss gets closer to 0
    assert nt_xent(z, z, temperature=0.1) < nt_xent(z, z, temperature=1.0)
