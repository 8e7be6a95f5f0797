"""AE latent -> UMAP -> GMM/K-Means on the default Fashion-MNIST competition: python scripts/attempts/fm_umap.py MODEL_DIR."""
import numpy as np, time, sys
import pandas as pd
from kit.competition import load_competition
from kit.metrics import cluster_accuracy
from kit.models import load_model
from kit.train.inference import batched
from kit.reduce import reduce
from kit.cluster import cluster
comp = load_competition("competitions/fashion_mnist")
sol = pd.read_csv("competitions/fashion_mnist/hidden/solution.csv", dtype={"id": str})
truth = dict(zip(sol.id, sol.label)); y = np.array([truth[i] for i in comp.images.ids])
Z = batched(load_model(sys.argv[1]).encode, comp.images.images, "cpu")
from sklearn.cluster import KMeans
print("kmeans latent", round(cluster_accuracy(y, KMeans(10, n_init=3, random_state=0).fit_predict(Z)), 4), flush=True)
for nc in [10]:
    t = time.time()
    U = reduce(Z, [{"method": "umap", "n_components": nc, "n_neighbors": 20, "min_dist": 0.0}], seed=0)
    tu = time.time() - t
    for m in ["gmm", "kmeans"]:
        c = cluster(U, {"method": m, "n_clusters": 10}, seed=0)
        print("umap", nc, m, round(cluster_accuracy(y, c), 4), round(tu, 1), "s", flush=True)
