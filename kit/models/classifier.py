"""Encoder + classifier head (linear or one hidden layer) for finetuning on few labels."""
from __future__ import annotations

from torch import nn


def make_head(latent_dim: int, n_classes: int, hidden: int = 0) -> nn.Sequential:
    """The one classifier head (finetune's Classifier and refine's SCAN heads, so a kept head drops into a Classifier).
    BatchNorm first: pretrained latents come at arbitrary scales, and a frozen encoder cannot adapt to the head."""
    if not hidden:
        return nn.Sequential(nn.BatchNorm1d(latent_dim), nn.Linear(latent_dim, n_classes))
    return nn.Sequential(nn.BatchNorm1d(latent_dim), nn.Linear(latent_dim, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, n_classes))


class Classifier(nn.Module):
    is_autoencoder = False

    def __init__(self, encoder: nn.Module, n_classes: int, hidden: int = 0) -> None:
        super().__init__()
        self.encoder = encoder
        d = encoder.latent_dim
        self.head = make_head(d, n_classes, hidden)
        self.latent_dim, self.n_classes = d, n_classes

    def encode(self, x):
        return self.encoder.encode(x)

    def forward(self, x):
        """Logits (no softmax: cross-entropy takes logits)."""
        return self.head(self.encoder.encode(x))
