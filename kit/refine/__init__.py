"""Refine: neighbour clustering (SCAN, with the labels in its loss when there are some) + self-labelling, or FixMatch,
on a pretrained encoder or a network trained from scratch."""
from kit.refine.train import mine_neighbors, refine

__all__ = ["refine", "mine_neighbors"]
