"""torchrun support: ``torchrun --nproc_per_node=N -m kit.cli.main pretrain ...`` trains with DDP.

gloo on CPU, nccl on CUDA; each rank trains on its shard of every epoch's permutation and rank 0 alone
writes checkpoints, metrics and the model folder.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist

RANK_SEED_STRIDE = 1_000_003  # rank r's augmentation seed: the epoch seed + r * stride (rank 0: the seed itself)


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(device: torch.device) -> tuple[int, int, torch.device]:
    """(rank, world size, device of this rank); a no-op outside torchrun.

    On CUDA the rank's GPU (LOCAL_RANK) is made current *before* the process group starts, so NCCL binds each
    rank to its own GPU instead of every rank creating a context on GPU 0.
    """
    if world_size() <= 1:
        return 0, 1, device
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


@contextmanager
def process_group(device: torch.device) -> Iterator[tuple[int, int, torch.device]]:
    """``setup`` as a context: (rank, world size, device); the process group this call started is destroyed on
    exit, error or not (one started by the caller is left to the caller)."""
    started = world_size() > 1 and not dist.is_initialized()
    try:
        yield setup(device)
    finally:
        if started and dist.is_initialized():
            dist.destroy_process_group()


def rank_seed(seed: int, rank: int) -> int:
    """Seed of rank ``rank``'s augmentation stream: ``seed`` on rank 0 (a single process is unchanged), shifted by
    the rank elsewhere so that ranks do not draw identical augmentation parameters for their shards."""
    return seed + rank * RANK_SEED_STRIDE


def barrier() -> None:
    if dist.is_initialized():
        if dist.get_backend() == "nccl":  # the rank's own GPU, not a guess (set_device ran in setup)
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


def all_mean(value: float, device: torch.device) -> float:
    if not dist.is_initialized():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t) / dist.get_world_size()


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward sends every rank the summed gradient of its own slice.

    Each rank's loss touches every rank's rows, so the gradient of rank r's rows is the all_reduce sum of the
    per-rank gradients; DDP's gradient averaging then yields the gradient of the mean of the ranks' losses.
    (torch.distributed.nn.all_gather does the same with reduce_scatter, which gloo lacks.)
    """

    @staticmethod
    def forward(ctx, t: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.n = dist.get_rank(), t.shape[0]
        parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.n:(ctx.rank + 1) * ctx.n]


def gather_with_grad(t: torch.Tensor) -> torch.Tensor:
    """Rows of every rank concatenated in rank order (same shape on every rank); gradients flow back to each."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return t
    return _GatherWithGrad.apply(t)


def rank_and_world() -> tuple[int, int]:
    if not dist.is_initialized():
        return 0, 1
    return dist.get_rank(), dist.get_world_size()
