"""Shared training plumbing: devices, uint8 -> float batches, per-epoch seeding, checkpoints."""
from __future__ import annotations

import random
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch

from kit.errors import ConfigError, Interrupted
from kit.io import atomic_path


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present; asking for CUDA where there is none is an error, not a silent CPU run."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but this machine has no CUDA GPU; use device auto or cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device must be auto, cpu or cuda[:N], got {device!r}") from None


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
    """torch, numpy and python RNG states (CUDA too when present) as tensors and plain Python values only,
    so that checkpoints load with ``weights_only=True``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"torch": torch.get_rng_state(),
             "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.cpu().numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
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
    """Tensors and plain values only (``weights_only=True``): a crafted checkpoint cannot run code.

    A truncated, foreign or unsafe file becomes a one-line ConfigError that says how to start fresh.
    """
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # truncated zip, pickle that needs code, not a torch file at all
        reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise ConfigError(f"{path}: not a usable kit checkpoint ({reason}); delete it, or rerun with --force "
                          "(kit run) / without --resume to start fresh") from None
    if not isinstance(ck, dict) or "model" not in ck:
        raise ConfigError(f"{path}: not a kit checkpoint (no model state); delete it or rerun with --force to start fresh")
    return ck


def progress_bar(enabled: bool):
    """A rich bar on a terminal; one plain line per update when output goes to a file or pipe (logs survive)."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if enabled and not sys.stderr.isatty():
        return LineProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    TextColumn("{task.fields[info]}"), disable=not enabled, transient=False)


class LineProgress:
    """The subset of rich.Progress kit uses, printing ``description done/total info (seconds)`` lines to stderr.

    Long counts (per-image progress) print at every 10% only, epochs at every update.
    """

    def __init__(self) -> None:
        self.tasks: dict[int, dict] = {}

    def __enter__(self) -> "LineProgress":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: int | None = None, completed: int = 0, **fields) -> int:
        import time

        tid = len(self.tasks)
        self.tasks[tid] = {"description": description, "total": total, "completed": completed,
                           "t0": time.perf_counter(), "last": -1}
        return tid

    def update(self, task_id: int, advance: int = 0, info: str = "", **_) -> None:
        import sys
        import time

        t = self.tasks[task_id]
        t["completed"] += advance
        total, done = t["total"], t["completed"]
        step = max(1, (total or 0) // 10) if (total or 0) > 200 else 1
        if done // step == t["last"] and done != total:
            return
        t["last"] = done // step
        seconds = time.perf_counter() - t["t0"]
        print(f"{t['description']} {done}/{total} {info} ({seconds:.1f}s)".replace("  ", " "), file=sys.stderr,
              flush=True)


@contextmanager
def resumable(what: str, checkpoint: Path):
    """Turn Ctrl-C into Interrupted("...; rerun to resume from epoch N") so the CLI exits 130 and says how to go on.

    N is read back from the checkpoint a rerun would load, not from a counter: a Ctrl-C that lands between the
    checkpoint's rename and the counter's update would otherwise name an epoch one too early."""
    try:
        yield
    except KeyboardInterrupt:
        done = int(load_checkpoint(checkpoint, torch.device("cpu"))["epoch"]) if Path(checkpoint).exists() else 0
        raise Interrupted(f"{what} interrupted; rerun to resume from epoch {done + 1}") from None
