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


def _nt_xent_loop(z1, z2, temperature):
    """Direct definition: for each of the 2N rows, -log softmax of its partner among the 2N-1 other rows."""
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    n2, n = len(z), len(z1)
    total = 0.0
    for i in range(n2):
        others = [j for j in range(n2) if j != i]
        logits = torch.stack([z[i] @ z[j] / temperature for j in others])
        partner = others.index((i + n) % n2)
        total = total - torch.log_softmax(logits, 0)[partner]
    return total / n2


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_nt_xent_matches_per_sample_loop(temperature):
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    got = nt_xent(z1, z2, temperature)
    assert got.dtype == torch.float32
    assert abs(float(got) - float(_nt_xent_loop(z1, z2, temperature))) < 1e-5


@pytest.mark.parametrize("inputs", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
def test_nt_xent_under_bf16_autocast_matches_the_fp64_loop(inputs):
    """Under bf16 autocast (how pretrain runs on CUDA; inputs as a float32 model or a bf16 head would give them) the
    loss still has float32 accuracy against the float64 definition, where a bf16 similarity matmul misses by far."""
    g = torch.Generator().manual_seed(4)
    z1, z2 = torch.randn(8, 16, generator=g).to(inputs), torch.randn(8, 16, generator=g).to(inputs)
    want = float(_nt_xent_loop(z1, z2, 0.1))  # float64, on the very (possibly bf16-rounded) inputs
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = nt_xent(z1, z2, 0.1)
        z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
        sim = z @ z.t()  # what autocast alone would have run: a bf16 matmul
        assert sim.dtype == torch.bfloat16
        lossy = torch.nn.functional.cross_entropy((sim.float() / 0.1).fill_diagonal_(float("-inf")),
                                                  torch.cat([torch.arange(8, 16), torch.arange(8)]))
    assert got.dtype == torch.float32
    assert abs(float(got) - want) < 1e-5
    assert abs(float(lossy) - want) > 1e-3  # the tolerance above would catch a bf16 matmul


def test_nt_xent_bf16_inputs_get_fp32_loss_and_the_fp64_gradient():
    """bf16 projections in: a float32 loss equal to the float64 definition on the same (bf16) values, and bf16
    gradients equal to that definition's float64 gradients, rounded to bf16."""
    g = torch.Generator().manual_seed(5)
    z1 = torch.randn(4, 8, generator=g).bfloat16().requires_grad_()
    z2 = torch.randn(4, 8, generator=g).bfloat16().requires_grad_()
    loss = nt_xent(z1, z2)
    assert loss.dtype == torch.float32
    loss.backward()
    r1, r2 = z1.detach().double().requires_grad_(), z2.detach().double().requires_grad_()
    want = _nt_xent_loop(r1, r2, 0.5)  # nt_xent's default temperature
    want.backward()
    assert abs(loss.item() - want.item()) < 1e-5
    assert z1.grad.dtype == torch.bfloat16 and z2.grad.dtype == torch.bfloat16
    for got, ref in ((z1.grad, r1.grad), (z2.grad, r2.grad)):  # bf16 keeps 8 bits: within 2**-8 of the largest entry
        torch.testing.assert_close(got.double(), ref, rtol=2 ** -7, atol=2 ** -8 * float(ref.abs().max()))


@pytest.mark.parametrize("kwargs", [dict(temperature=0.0), dict(temperature=-1.0)])
def test_nt_xent_rejects_bad_temperature(kwargs):
    from kit.errors import ConfigError

    with pytest.raises(ConfigError, match="temperature"):
        nt_xent(torch.randn(2, 3), torch.randn(2, 3), **kwargs)
    with pytest.raises(ConfigError, match="temperature"):
        PretrainObjective(create_model("conv_ae4", 1, 16, latent_dim=8), "simclr", **kwargs)
