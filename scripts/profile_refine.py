"""Where a refine (SCAN) step's time goes on this machine: indexing, views (kornia), forward, backward, optimizer.

Runs the Fashion-MNIST default's inner loop (configs/fashion_mnist.yaml: small_cnn from scratch, light views,
batch 256, 3 heads, each step = anchors + one neighbour each) for a fixed number of steps with a timer around each
part, and prints a markdown table (mean ms per step and share) plus the threads torch used.

    python scripts/profile_refine.py [--steps 40] [--threads N] [--channels-last] [--out bench/profile.md]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def load_images(n: int) -> np.ndarray:
    from kit.data.sources import load_source

    return load_source({"kind": "fashion_mnist", "split": "test"}).images[:n]


def profile(images: np.ndarray, steps: int, batch: int = 256, preset: str = "light", width: int = 32,
            channels_last: bool = False) -> dict[str, float]:
    from kit.models import create_model
    from kit.refine.heads import ClusterHeads
    from kit.refine.losses import scan_loss
    from kit.train.augment import tensor_augment
    from kit.train.loop import to_tensor

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    enc = create_model("small_cnn", images.shape[-1], images.shape[1], width=width)
    heads = ClusterHeads(enc.latent_dim, 10, 3, 0)
    if channels_last:
        enc = enc.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(list(enc.parameters()) + list(heads.parameters()), lr=1e-3)
    neighbors = rng.integers(0, len(images), (len(images), 10))
    gen = torch.Generator().manual_seed(0)
    parts = dict(index=0.0, views=0.0, forward=0.0, backward=0.0, optimizer=0.0)

    def tick(name, t0):
        parts[name] += time.perf_counter() - t0
        return time.perf_counter()

    for step in range(steps + 2):
        if step == 2:  # two warm-up steps: allocator and kernel selection
            parts = dict.fromkeys(parts, 0.0)
        t = time.perf_counter()
        a = rng.integers(0, len(images), batch)
        idx = np.concatenate([a, neighbors[a, rng.integers(0, 10, batch)]])
        x = to_tensor(images[idx])
        t = tick("index", t)
        x = tensor_augment(x, preset, gen)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t = tick("views", t)
        za, zn = enc.encode(x).split(batch)
        loss = sum(scan_loss(la, ln, 5.0)[0] for la, ln in zip(heads(za), heads(zn)))
        t = tick("forward", t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t = tick("backward", t)
        opt.step()
        tick("optimizer", t)
    return {k: v / steps * 1000 for k, v in parts.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--preset", default="light")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from calibrate import calibration_line

    ms = profile(load_images(5000), args.steps, preset=args.preset, channels_last=args.channels_last)
    total = sum(ms.values())
    lines = [f"refine step (batch 256 anchors + 256 neighbours, small_cnn width 32, {args.preset} views"
             f"{', channels_last' if args.channels_last else ''}), {torch.get_num_threads()} threads; "
             + calibration_line(), "", "| part | ms / step | share |", "|---|---|---|"]
    lines += [f"| {k} | {v:.1f} | {v / total:.0%} |" for k, v in ms.items()]
    lines.append(f"| total | {total:.1f} | 100% |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
