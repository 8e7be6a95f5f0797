"""A short CPU calibration figure, so bench rows measured on two machines can be compared.

Two fixed workloads that stand for what kit's CPU recipes spend their time on: a float32 matmul (BLAS) and a small
conv network's forward + backward (oneDNN convolutions, the refine stage's inner loop). Each is the median of
several repeats after a warm-up, in milliseconds, at the thread count torch uses. A machine that takes twice the
milliseconds runs the bench's training stages in about twice the seconds.

    python scripts/calibrate.py          # prints one line
"""
from __future__ import annotations

import statistics
import time


def _median_ms(fn, repeats: int = 7) -> float:
    fn()  # warm-up: first-call allocations and kernel selection
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def calibration() -> dict:
    """{'matmul_ms': ..., 'conv_ms': ..., 'threads': ..., 'isa': ..., 'cpu': ...}."""
    import torch

    from kit.determinism import cpu_info

    info = cpu_info()  # the ISA torch uses (an ISA cap in the environment shows), as recorded with submissions
    torch.manual_seed(0)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.BatchNorm2d(64), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(64, 128, 3, padding=1), torch.nn.BatchNorm2d(128), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(128, 10))
    x = torch.rand(256, 1, 28, 28)

    def matmul():
        for _ in range(4):
            a @ b

    def conv():
        net.zero_grad()
        net(x).square().mean().backward()

    return {"matmul_ms": round(_median_ms(matmul), 1), "conv_ms": round(_median_ms(conv), 1),
            "threads": torch.get_num_threads(), "isa": info["cpu_capability"], "cpu": info["cpu"]}


def calibration_line(c: dict | None = None) -> str:
    c = c or calibration()
    return (f"calibration: 4x matmul 1024^2 {c['matmul_ms']} ms, small CNN fwd+bwd (256 x 28^2) {c['conv_ms']} ms "
            f"({c['threads']} threads, {c['isa']}, {c['cpu']})")


if __name__ == "__main__":
    print(calibration_line())
