"""The refine losses against direct per-sample implementations."""
import math

import numpy as np
import pytest
import torch

from kit.refine.losses import confident, fixmatch_loss, scan_loss, self_label_loss


def softmax(row):
    e = [math.exp(v - max(row)) for v in row]
    return [v / sum(e) for v in e]


@pytest.mark.parametrize("weight", [0.0, 2.0, 5.0])
def test_scan_loss_equals_a_per_sample_loop(weight):
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 4, generator=g) * 3, torch.randn(7, 4, generator=g) * 3
    total, cons, ent = scan_loss(a, b, weight)
    pa, pb = [softmax(r) for r in a.tolist()], [softmax(r) for r in b.tolist()]
    expect_cons = -sum(math.log(sum(x * y for x, y in zip(p, q))) for p, q in zip(pa, pb)) / 7
    mean = [sum(p[j] for p in pa) / 7 for j in range(4)]
    expect_ent = -sum(m * math.log(m) for m in mean)
    assert float(cons) == pytest.approx(expect_cons, rel=1e-5)
    assert float(ent) == pytest.approx(expect_ent, rel=1e-5)
    assert float(total) == pytest.approx(expect_cons - weight * expect_ent, rel=1e-5, abs=1e-6)


def test_scan_loss_rewards_agreeing_neighbours_and_balance():
    confident_same = torch.eye(4) * 10
    assert scan_loss(confident_same, confident_same, 0.0)[1] < scan_loss(confident_same, confident_same.roll(1, 0), 0.0)[1]
    collapsed = torch.zeros(4, 4)
    collapsed[:, 0] = 10
    assert scan_loss(confident_same, confident_same, 1.0)[0] < scan_loss(collapsed, collapsed, 1.0)[0]


def test_self_label_never_uses_a_label_at_or_below_the_threshold():
    g = torch.Generator().manual_seed(1)
    weak = torch.randn(500, 5, generator=g) * 4
    strong = torch.randn(500, 5, generator=g, requires_grad=True)
    threshold = 0.9
    probs = torch.softmax(weak, 1)
    loss, used = self_label_loss(weak, strong, threshold)
    keep = [i for i in range(500) if max(probs[i].tolist()) > threshold]
    assert used == len(keep) and 0 < used < 500
    # direct: class-balanced CE over the kept rows only
    target = [int(probs[i].argmax()) for i in keep]
    counts = np.bincount(target, minlength=5)
    w = [len(keep) / (5 * c) if c else 0.0 for c in counts]
    logp = torch.log_softmax(strong.detach(), 1)
    expect = -sum(w[t] * float(logp[i, t]) for i, t in zip(keep, target)) / sum(w[t] for t in target)
    assert float(loss.detach()) == pytest.approx(expect, rel=1e-5)
    loss.backward()  # rows below the threshold get no gradient at all
    below = [i for i in range(500) if i not in set(keep)]
    assert torch.all(strong.grad[below] == 0) and torch.any(strong.grad[keep] != 0)


def test_no_confident_rows_gives_zero_loss():
    loss, used = self_label_loss(torch.zeros(8, 3), torch.randn(8, 3), 0.99)
    assert used == 0 and float(loss) == 0.0


def test_confident_is_strictly_above():
    probs = torch.tensor([[0.99, 0.01], [0.995, 0.005], [0.5, 0.5]])
    mask, labels = confident(probs, 0.99)
    assert mask.tolist() == [False, True, False] and labels.tolist()[1] == 0


def test_fixmatch_loss_is_masked_mean_over_all_rows():
    g = torch.Generator().manual_seed(2)
    weak, strong = torch.randn(50, 3, generator=g) * 3, torch.randn(50, 3, generator=g)
    loss, used = fixmatch_loss(weak, strong, 0.8)
    probs = torch.softmax(weak, 1)
    logp = torch.log_softmax(strong, 1)
    terms = [-float(logp[i, int(probs[i].argmax())]) if float(probs[i].max()) > 0.8 else 0.0 for i in range(50)]
    assert used == sum(1 for i in range(50) if float(probs[i].max()) > 0.8)
    assert float(loss) == pytest.approx(sum(terms) / 50, rel=1e-5)
