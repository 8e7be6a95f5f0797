"""torchrun support: ``torchrun --nproc_per_node=N -m kit.cli.main pretrain ...`` trains with DDP.

gloo on CPU, nccl on CUDA; each rank trains on its shard of every epoch's permutation and rank 0 alone
writes checkpoints, metrics and the model folder.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(device: torch.device) -> tuple[int, int, torch.device]:
    """(rank, world size, device of this rank); a no-op outside torchrun."""
    if world_size() <= 1:
        return 0, 1, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    return dist.get_rank(), dist.get_world_size(), device


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def all_mean(value: float, device: torch.device) -> float:
    if not dist.is_initialized():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t) / dist.get_world_size()
