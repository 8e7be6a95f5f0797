"""Pretraining throughput (images/s, one optimizer step per batch) per model, on CPU and on CUDA when present.

Writes bench/throughput.md. Measured, never asserted.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from kit.models import create_model
from kit.train import objectives
from kit.train.loop import autocast

ROOT = Path(__file__).resolve().parent.parent
CASES = [("conv_ae4", 1, 28, 256), ("resnet_ae", 1, 28, 256), ("conv_ae4", 3, 32, 256), ("cifar_resnet18", 3, 32, 128)]


def measure(name, channels, size, batch, device, steps):
    torch.manual_seed(0)
    model = create_model(name, channels, size).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    head = objectives.projection_head(model.latent_dim).to(device) if not model.is_autoencoder else None
    opt = torch.optim.AdamW(list(model.parameters()) + (list(head.parameters()) if head else []), 1e-3)
    x = torch.rand(batch, channels, size, size, device=device)

    def step():
        with autocast(device):
            if model.is_autoencoder:
                loss = objectives.reconstruction(model, x, x)[0]
            else:
                p = head(model.encode(torch.cat([x, x.flip(3)])))
                loss = objectives.nt_xent(p[:batch], p[batch:])
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - t0)


def main():
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    lines = ["| model | input | batch | device | img/s |", "|---|---|---|---|---|"]
    for dev in devices:
        name_dev = torch.cuda.get_device_name(0) + " (bf16)" if dev.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
        for name, c, s, b in CASES:
            ips = measure(name, c, s, b, dev, steps=3 if dev.type == "cpu" else 30)
            lines.append(f"| {name} | {c}x{s}x{s} | {b} | {name_dev} | {ips:,.0f} |")
            print(lines[-1], flush=True)
    out = ROOT / "bench" / "throughput.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
