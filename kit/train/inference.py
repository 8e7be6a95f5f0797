"""One batched-inference helper: every "run the network over all images" goes through here."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from kit.train.loop import autocast, to_tensor


@torch.inference_mode()
def batched(fn: Callable[[torch.Tensor], torch.Tensor], images: np.ndarray, device, batch_size: int = 512,
            on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """``fn`` over uint8 NHWC ``images`` in batches (autocast on CUDA), concatenated as float32 numpy.

    The caller puts modules in eval mode; ``on_batch(n)`` reports progress. Inference mode: no autograd
    bookkeeping at all (the outputs leave as numpy).
    """
    device = torch.device(device) if isinstance(device, str) else device
    out = []
    for i in range(0, len(images), batch_size):
        with autocast(device):
            out.append(fn(to_tensor(images[i:i + batch_size], device)).float().cpu())
        if on_batch is not None:
            on_batch(len(out[-1]))
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)
