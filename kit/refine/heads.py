"""Several K-way clustering heads trained at once; the one with the lowest loss is kept (SCAN)."""
from __future__ import annotations

import torch
from torch import nn

from kit.models.classifier import make_head


class ClusterHeads(nn.Module):
    def __init__(self, latent_dim: int, n_classes: int, n_heads: int = 5, hidden: int = 0) -> None:
        super().__init__()
        self.heads = nn.ModuleList(make_head(latent_dim, n_classes, hidden) for _ in range(n_heads))

    def forward(self, z: torch.Tensor) -> list[torch.Tensor]:
        return [head(z) for head in self.heads]


@torch.no_grad()
def permute_classes(head: nn.Sequential, order) -> None:
    """Reorder the head's outputs in place: new output j is old output order[j] (maps clusters to classes)."""
    last = head[-1]
    index = torch.as_tensor(order, dtype=torch.long)
    last.weight.copy_(last.weight[index])
    last.bias.copy_(last.bias[index])
