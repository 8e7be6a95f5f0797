"""Refine on a pretrained model folder over the default Fashion-MNIST competition: python scripts/attempts/fm_refine.py MODEL_DIR "epochs=50,n_heads=3"."""
import numpy as np, time, sys
import pandas as pd
from kit.competition import load_competition
from kit.refine import refine
from kit.metrics import cluster_accuracy
comp = load_competition("competitions/fashion_mnist")
sol = pd.read_csv("competitions/fashion_mnist/hidden/solution.csv", dtype={"id": str})
truth = dict(zip(sol.id, sol.label))
y = np.array([truth[i] for i in comp.images.ids])
m = sys.argv[1]
kw = eval("dict(" + sys.argv[2] + ")")
t = time.time()
kw = {"n_clusters": 10, "augment": "none", "strong_augment": "none", "progress": False, **kw}
out = refine(m, comp.images.images, "runs/attempts/fmr_" + str(abs(hash(sys.argv[2]))), **kw)
P = np.load(out / "probabilities.npz")["probabilities"]
df = pd.read_csv(out / "metrics.csv")
print(kw, "ACC", round(cluster_accuracy(y, P.argmax(1)), 4), round(time.time() - t, 1), "s", "conf", df.confident.iloc[-1], flush=True)
