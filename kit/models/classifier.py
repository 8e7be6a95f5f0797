"""Encoder + classifier head (linear or one hidden layer) for finetuning on few labels."""
from __future__ import annotations

from torch import nn


class Classifier(nn.Module):
    is_autoencoder = False

    def __init__(self, encoder: nn.Module, n_classes: int, hidden: int = 0) -> None:
        super().__init__()
        self.encoder = encoder
        d = encoder.latent_dim
        # BatchNorm first: pretrained latents come at arbitrary scales, and a frozen encoder cannot adapt to the head.
        self.head = nn.Sequential(nn.BatchNorm1d(d), nn.Linear(d, n_classes)) if not hidden else nn.Sequential(
            nn.BatchNorm1d(d), nn.Linear(d, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_classes))
        self.latent_dim, self.n_classes = d, n_classes

    def encode(self, x):
        return self.encoder.encode(x)

    def forward(self, x):
        """Logits (no softmax: cross-entropy takes logits)."""
        return self.head(self.encoder.encode(x))
