"""scan_loss with a prior on the cluster sizes: uniform gives today's loss, and the term is best at the prior."""
import math

import pytest
import torch

from kit.refine.losses import scan_loss


def logits(seed, n=9, k=5):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, k, generator=g) * 3, torch.randn(n, k, generator=g) * 3


@pytest.mark.parametrize("weight", [0.0, 2.0, 5.0])
def test_no_prior_and_uniform_prior_give_the_current_loss(weight):
    a, b = logits(0)
    p = torch.softmax(a, 1)
    mean = p.mean(0)
    current = -(torch.softmax(a, 1) * torch.softmax(b, 1)).sum(1).log().mean() + weight * (mean * mean.log()).sum()
    plain = scan_loss(a, b, weight)
    assert float(plain[0]) == pytest.approx(float(current), rel=1e-5)
    uniform = scan_loss(a, b, weight, torch.full((5,), 0.2))
    for x, y in zip(plain, uniform):
        assert float(x) == pytest.approx(float(y), rel=1e-5, abs=1e-6)
    assert float(scan_loss(a, b, weight, [3.0] * 5)[0]) == pytest.approx(float(plain[0]), rel=1e-5)  # normalised


def test_prior_term_is_log_k_minus_kl_against_a_direct_computation():
    a, b = logits(1)
    prior = [0.4, 0.3, 0.15, 0.1, 0.05]
    _, _, term = scan_loss(a, b, 2.0, torch.tensor(prior))
    mean = torch.softmax(a.double(), 1).mean(0).tolist()
    expect = math.log(5) - sum(m * math.log(m / q) for m, q in zip(mean, prior))
    assert float(term) == pytest.approx(expect, rel=1e-5)


def test_the_entropy_term_is_minimised_at_the_prior():
    prior = torch.tensor([0.5, 0.25, 0.125, 0.0625, 0.0625])
    free = torch.zeros(64, 5, requires_grad=True)  # batch logits; only the entropy term (the consistency is 0-weight)
    opt = torch.optim.Adam([free], lr=0.05)
    for _ in range(600):
        _, _, term = scan_loss(free, free.detach(), 1.0, prior)
        opt.zero_grad()
        (-term).backward()
        opt.step()
    mean = torch.softmax(free.detach(), 1).mean(0)
    assert torch.allclose(mean, prior, atol=2e-3)
    # and a uniform batch mean scores worse than the prior itself
    at_prior = scan_loss(prior.log().expand(8, 5), prior.log().expand(8, 5), 1.0, prior)[2]
    at_uniform = scan_loss(torch.zeros(8, 5), torch.zeros(8, 5), 1.0, prior)[2]
    assert float(at_prior) == pytest.approx(math.log(5), abs=1e-6) and at_uniform < at_prior
