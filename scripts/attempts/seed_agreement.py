"""Agreement between two seeds of one recipe as a label-free validation score (issue 18): each config runs with
seed 0 and seed 1 (runs under RUNS/s0, RUNS/s1, no leaderboard); the score is the ARI between the two runs'
clusters; Spearman with the seed-0 run's public score per competition.
python scripts/attempts/seed_agreement.py RUNS CONFIG..."""
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score

from kit.config import load_config
from kit.pipeline.runner import run_pipeline

runs_dir, configs = Path(sys.argv[1]), sys.argv[2:]
quiet = Console(file=open(os.devnull, "w"))
rows = {}
for cfg in configs:
    out = []
    for seed in (0, 1):
        r = run_pipeline(cfg, runs_dir=runs_dir / f"s{seed}", leaderboard=False, copy_submission=False,
                         overrides=[f"seed={seed}", "competition.make.seed=0"], console=quiet)
        z = np.load(os.path.join(r["stages"]["cluster"], "clusters.npz"))
        order = np.argsort(z["ids"].astype(str))
        out.append((z["clusters"][order], r["scores"]["public"]))
    ari = adjusted_rand_score(out[0][0], out[1][0])
    rows.setdefault(load_config(cfg)["competition"]["dir"], []).append((cfg, out[0][1], out[1][1], ari))
    print(f"{cfg}: public seed 0 {out[0][1]:.3f}, seed 1 {out[1][1]:.3f}, ARI between seeds {ari:.3f}", flush=True)
for comp, rs in rows.items():
    if len(rs) > 2:
        rho = spearmanr([r[1] for r in rs], [r[3] for r in rs])[0]
        print(f"{comp}: {len(rs)} recipes, Spearman(public seed 0, seed ARI) {rho:.2f}")
