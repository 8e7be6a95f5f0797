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
