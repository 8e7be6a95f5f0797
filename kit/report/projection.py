"""Which 2-D view the embedding scatter shows, read from the reduce stage: a t-SNE map and a PCA shadow of a
64-D embedding look alike on the page but mean different things, so every panel says which one it is."""
from __future__ import annotations

NAMES = {"tsne": "t-SNE", "pca": "PCA", "kernel_pca": "kernel PCA", "spectral": "spectral embedding", "lle": "LLE"}
SCALING = ("standardize", "l2norm")


def describe_projection(steps: list[dict] | None, embedding_dim: int, from_2d_file: bool) -> str:
    """steps: the reduce stage's config steps; embedding_dim: width of embedding.npz (what was clustered);
    from_2d_file: the view is embedding_2d.npz (the reduce stage's PCA view of a wider embedding)."""
    if from_2d_file or embedding_dim > 2:
        return f"PCA projection of the {embedding_dim}-D embedding"
    if embedding_dim == 1:
        return "the 1-D embedding (padded with zeros)"
    methods = [s.get("method", "?") for s in steps or [] if s.get("method") not in SCALING]
    if not methods:
        return "the 2-D features (the clustered embedding)"
    return f"{NAMES.get(methods[-1], methods[-1])} (the clustered embedding)"
