"""Shared training plumbing: devices, uint8 -> float batches, per-epoch seeding, checkpoints."""
from __future__ import annotations

import random
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from kit.io import atomic_path


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 N,H,W,C -> float N,C,H,W in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def seed_epoch(seed: int, epoch: int) -> torch.Generator:
    """Every epoch's randomness derives from (seed, epoch) alone, so a resumed run replays it exactly."""
    s = seed * 100_003 + epoch
    torch.manual_seed(s)
    np.random.seed(s % 2**32)
    random.seed(s)
    return torch.Generator().manual_seed(s)


def rng_state() -> dict:
    """torch, numpy and python RNG states (CUDA too when present), for checkpoints."""
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def autocast(device: torch.device):
    """bf16 autocast on CUDA; full precision on the CPU (bit-reproducible there)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def save_checkpoint(path: Path, **state) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path, device: torch.device) -> dict:
    return torch.load(path, map_location=device, weights_only=False)


def progress_bar(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    TextColumn("{task.fields[info]}"), disable=not enabled, transient=False)
