"""torchrun with 2 CPU processes (gloo): DDP pretraining runs, rank 0 alone writes the model folder."""
import json
import subprocess
import sys

import pandas as pd

from kit.competition import make_competition
from kit.data import load_source


def test_two_process_gloo_pretrain(tmp_path):
    comp = make_competition(load_source({"kind": "digits", "limit": 600}), tmp_path / "comp", "label")
    out = tmp_path / "model"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517", "-m", "kit",
           "pretrain", "-c", str(comp), "--out", str(out), "--model", "mlp_ae", "--latent-dim", "8", "--epochs", "3",
           "--batch-size", "64", "--lr", "0.003", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads((out / "model.json").read_text())
    assert meta["world_size"] == 2
    m = pd.read_csv(out / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3] and m["train_mse"].iloc[-1] < m["train_mse"].iloc[0]


GATHER_WORKER = '''
import sys, torch, torch.distributed as dist
from kit.train.objectives import nt_xent
dist.init_process_group("gloo")
rank = dist.get_rank()
g = torch.Generator().manual_seed(100 + rank)  # each rank its own rows
z1 = torch.randn(4, 6, generator=g, requires_grad=True)
z2 = torch.randn(4, 6, generator=g, requires_grad=True)
loss = nt_xent(z1, z2, temperature=0.3)
loss.backward()
torch.save({"z1": z1.detach(), "z2": z2.detach(), "loss": loss.detach(), "g1": z1.grad, "g2": z2.grad},
           sys.argv[1] + f"/rank{rank}.pt")
dist.destroy_process_group()
'''


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nt_xent_gathers_negatives_across_ranks(tmp_path):
    import os

    import torch

    from kit.train.objectives import nt_xent

    script = tmp_path / "worker.py"
    script.write_text(GATHER_WORKER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
           str(script), str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = [torch.load(tmp_path / f"rank{k}.pt") for k in range(2)]
    z1 = torch.cat([r[0]["z1"], r[1]["z1"]]).requires_grad_()
    z2 = torch.cat([r[0]["z2"], r[1]["z2"]]).requires_grad_()
    global_loss = nt_xent(z1, z2, temperature=0.3)
    global_loss.backward()
    # each rank's loss is the global loss restricted to its anchors, so their mean is the global loss
    assert abs(float((r[0]["loss"] + r[1]["loss"]) / 2) - float(global_loss.detach())) < 1e-5
    local_only = nt_xent(r[0]["z1"], r[0]["z2"], temperature=0.3)  # no negatives from rank 1
    assert abs(float(r[0]["loss"]) - float(local_only)) > 1e-3
    # each rank receives the gradient of the sum of both ranks' losses = world x grad of the global mean
    # (DDP then averages over ranks), including the terms where its rows are the other rank's negatives
    for k in range(2):
        rows = slice(4 * k, 4 * (k + 1))
        assert r[k]["g1"].abs().sum() > 0 and r[k]["g2"].abs().sum() > 0
        torch.testing.assert_close(r[k]["g1"], 2 * z1.grad[rows], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(r[k]["g2"], 2 * z2.grad[rows], atol=1e-6, rtol=1e-5)


def test_two_process_gloo_simclr_pretrain(tmp_path):
    """SimCLR under DDP: the gather's collectives interleave with DDP's gradient all-reduce without deadlock."""
    import os

    comp = make_competition(load_source({"kind": "digits", "limit": 128}), tmp_path / "comp", "label")
    out = tmp_path / "model"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
           "-m", "kit", "pretrain", "-c", str(comp), "--out", str(out), "--model", "cifar_resnet18", "--latent-dim", "8",
           "--objective", "simclr", "--augment", "light", "--epochs", "2", "--batch-size", "32", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = pd.read_csv(out / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2] and m["train_loss"].notna().all()
