"""The GPU path's CPU-side parts: on the CPU nothing changes (same draws, same sums), DDP setup order, per-rank
augmentation seeds, checkpoints kept every N-th epoch."""
import numpy as np
import pandas as pd
import pytest
import torch

from kit.refine.phases import EpochSums, host_to, new_stats
from kit.train import distributed, objectives
from kit.train.loop import keep_checkpoint
from kit.train.pretrain import batch_to, pretrain
from kit.train.loop import to_tensor


def test_epoch_sums_equal_float_per_step_sums():
    """Device sums widened to float64 in step order give the exact values float() per step summed."""
    g = torch.Generator().manual_seed(0)
    steps = [[torch.randn((), generator=g) * 10 for _ in range(3)] for _ in range(50)]
    old = new_stats(3)
    sums = EpochSums(3, torch.device("cpu"))
    for losses in steps:
        old["head_loss"] += [float(loss) for loss in losses]
        old["consistency"] += float(losses[1])
        old["labeled_loss"] += float(losses[2])
        sums.add_heads(losses)
        sums.add("consistency", losses[1])
        sums.add("labeled_loss", losses[2])
        sums.add_head(0, losses[0])
        old["head_loss"][0] += float(losses[0])
    new = sums.stats()
    assert new["head_loss"].dtype == np.float64 and new["head_loss"].tobytes() == old["head_loss"].tobytes()
    assert new["consistency"] == old["consistency"] and new["labeled_loss"] == old["labeled_loss"]
    assert new["entropy"] == 0.0 and isinstance(new["consistency"], float)


def test_cpu_copies_and_draws_are_the_old_ones():
    images = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    assert torch.equal(batch_to(images, torch.device("cpu")), to_tensor(images, "cpu"))
    assert torch.equal(host_to(np.arange(5), torch.device("cpu")), torch.arange(5))
    x = torch.rand(6, 1, 8, 8)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    net = torch.nn.Identity()
    net.encode = lambda t: t.flatten(1)
    head = torch.nn.Linear(64, 4)
    loss = objectives.rotation_loss(net, head, x, g1)
    k = torch.randint(0, 4, (6,), generator=g2)  # the CPU draw, as before
    rotated = x.clone()
    for r in range(1, 4):
        rotated[k == r] = torch.rot90(x[k == r], r, dims=(2, 3))
    assert torch.equal(loss, torch.nn.functional.cross_entropy(head(rotated.flatten(1)), k))


def test_rank_seed_differs_by_rank_and_rank0_is_the_seed():
    seeds = [distributed.rank_seed(7 * 100_003 + 2, r) for r in range(4)]
    assert seeds[0] == 7 * 100_003 + 2 and len(set(seeds)) == 4
    draws = [torch.rand(3, generator=torch.Generator().manual_seed(s)) for s in seeds]
    assert not any(torch.equal(draws[0], d) for d in draws[1:])


def test_set_device_before_init_process_group_and_destroy_at_exit(monkeypatch):
    calls = []
    state = {"init": False}
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: calls.append(("set_device", i)))
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: state["init"])

    def init(backend, **kw):
        calls.append(("init", backend))
        state["init"] = True

    def destroy():
        calls.append(("destroy",))
        state["init"] = False

    monkeypatch.setattr(distributed.dist, "init_process_group", init)
    monkeypatch.setattr(distributed.dist, "destroy_process_group", destroy)
    monkeypatch.setattr(distributed.dist, "get_rank", lambda: 1)
    monkeypatch.setattr(distributed.dist, "get_world_size", lambda: 2)
    with pytest.raises(RuntimeError, match="boom"):
        with distributed.process_group(torch.device("cuda")) as (rank, world, dev):
            assert (rank, world, dev) == (1, 2, torch.device("cuda", 1))
            raise RuntimeError("boom")
    assert calls == [("set_device", 1), ("init", "nccl"), ("destroy",)]


def test_process_group_leaves_a_callers_group_alone(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(distributed.dist, "get_rank", lambda: 0)
    monkeypatch.setattr(distributed.dist, "get_world_size", lambda: 2)
    monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: pytest.fail("not ours to destroy"))
    with distributed.process_group(torch.device("cpu")) as (rank, world, dev):
        assert (rank, world, dev) == (0, 2, torch.device("cpu"))


def test_single_process_is_unchanged_and_starts_no_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: pytest.fail("no group for one process"))
    with distributed.process_group(torch.device("cpu")) as got:
        assert got == (0, 1, torch.device("cpu"))


def test_keep_checkpoint():
    assert [e for e in range(1, 8) if keep_checkpoint(e, 3)] == [3, 6]
    assert not any(keep_checkpoint(e, 0) for e in range(1, 8))
    assert all(keep_checkpoint(e, 1) for e in range(1, 8))


def test_checkpoint_keep_every_keeps_last_and_every_nth_and_resumes(tmp_path, digits):
    data = digits.images[:128]
    kw = dict(model="mlp_ae", model_kwargs={"latent_dim": 4}, batch_size=64, seed=1, progress=False)
    pretrain(data, tmp_path / "a", epochs=4, checkpoint_keep_every=2, **kw)
    assert sorted(p.name for p in (tmp_path / "a" / "checkpoints").iterdir()) == ["epoch_002.pt", "epoch_004.pt",
                                                                                   "last.pt"]
    pretrain(data, tmp_path / "b", epochs=2, checkpoint_keep_every=0, **kw)
    assert [p.name for p in (tmp_path / "b" / "checkpoints").iterdir()] == ["last.pt"]
    first = pd.read_csv(tmp_path / "b" / "metrics.csv").drop(columns="seconds")
    # a resume (more epochs, another keep setting) continues from last.pt
    pretrain(data, tmp_path / "b", epochs=4, checkpoint_keep_every=3, resume=True, **kw)
    assert sorted(p.name for p in (tmp_path / "b" / "checkpoints").iterdir()) == ["epoch_003.pt", "last.pt"]
    resumed = pd.read_csv(tmp_path / "b" / "metrics.csv").drop(columns="seconds")
    assert resumed["epoch"].tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(resumed.iloc[:2], first)


def test_checkpoint_keep_every_is_range_checked(tmp_path, digits):
    from kit.errors import ConfigError

    with pytest.raises(ConfigError, match="checkpoint_keep_every"):
        pretrain(digits.images[:16], tmp_path, model="mlp_ae", epochs=1, checkpoint_keep_every=-1, progress=False)
