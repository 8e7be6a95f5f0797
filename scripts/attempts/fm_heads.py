"""The Fashion-MNIST default's three SCAN heads, each alone and averaged (matched to the kept head by Hungarian
matching), from a finished run's refine checkpoint: does ensembling the heads buy accuracy for free?
python scripts/attempts/fm_heads.py runs/fashion_mnist/refine-<hash>"""
import sys

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

from kit.competition import load_competition
from kit.metrics import cluster_accuracy
from kit.models import load_model
from kit.refine.heads import ClusterHeads
from kit.train.inference import batched

folder = sys.argv[1]
comp = load_competition("competitions/fashion_mnist")
ck = torch.load(f"{folder}/checkpoints/last.pt", weights_only=True, map_location="cpu")
encoder = load_model(folder).encoder
encoder.load_state_dict(ck["encoder"])
encoder.eval()
heads = ClusterHeads(encoder.latent_dim, 10, len({k.split(".")[1] for k in ck["heads"]}), 0)
heads.load_state_dict(ck["heads"])
heads.eval()
z = torch.from_numpy(batched(encoder.encode, comp.images.images, "cpu"))
with torch.no_grad():
    P = [F.softmax(h(z), 1).numpy() for h in heads.heads]
y = pd.read_csv(comp.solution_path).set_index("id").loc[comp.images.ids.astype(str), "label"].to_numpy()
ref, mean = P[ck["best"]].argmax(1), np.zeros_like(P[0])
for i, p in enumerate(P):
    print(f"| head {i}{' (kept)' if i == ck['best'] else ''} | {cluster_accuracy(y, p.argmax(1)):.3f} |")
    C = np.zeros((10, 10))
    np.add.at(C, (p.argmax(1), ref), 1)
    r, c = linear_sum_assignment(-C)
    mean[:, c] += p[:, r]
print(f"| mean of the heads | {cluster_accuracy(y, mean.argmax(1)):.3f} |")
