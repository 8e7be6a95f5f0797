"""Refine: neighbour clustering (SCAN) + self-labelling, or FixMatch with labels, on top of a pretrained encoder."""
from kit.refine.train import mine_neighbors, refine

__all__ = ["refine", "mine_neighbors"]
