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
           "pretrain", str(comp), "--out", str(out), "--model", "mlp_ae", "--latent-dim", "8", "--epochs", "3",
           "--batch-size", "64", "--lr", "0.003", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads((out / "model.json").read_text())
    assert meta["world_size"] == 2
    m = pd.read_csv(out / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3] and m["train_mse"].iloc[-1] < m["train_mse"].iloc[0]
