"""End-to-end SimCLR throughput (images/s): kornia augmentation of two views + forward + NT-Xent + AdamW step.

cifar_resnet18 on 3x32x32, data resident on the device as uint8, bf16 autocast, channels_last, optional
torch.compile. Adds or replaces its row (keyed by model, input, batch, device, amp, compile) in the table of
bench/throughput.md. The device column is the device that ran, so a GPU number only appears when measured
on one. CPU smoke run: ``python scripts/bench_throughput.py --device cpu --batch 16 --steps 2``.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from kit.models import create_model
from kit.train import objectives
from kit.train.augment import tensor_augment

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["model", "input", "batch", "device", "amp", "channels_last", "compile", "augment", "steps", "img/s"]
KEY = ("model", "input", "batch", "device", "amp", "compile")
TITLE = "## SimCLR end to end (scripts/bench_throughput.py)"


def device_name(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU ({os.cpu_count()} cores)"


def build(args, dev):
    torch.manual_seed(0)
    net = create_model(args.model, 3, args.size).to(dev).to(memory_format=torch.channels_last)
    loss_module = objectives.PretrainObjective(net, "simclr", temperature=0.5).to(dev)
    opt = torch.optim.AdamW(loss_module.parameters(), 1e-3)
    forward, compiled = loss_module, "no"
    if args.compile:
        try:
            forward = torch.compile(loss_module)
            compiled = "yes"
        except Exception as e:  # noqa: BLE001 - any backend failure: measure eager instead
            print(f"torch.compile failed ({type(e).__name__}: {str(e)[:200]}); falling back to eager", flush=True)
            compiled = "failed->eager"
    return loss_module, forward, opt, compiled


def measure(args) -> dict:
    dev = torch.device(args.device)
    data = torch.randint(0, 256, (args.dataset, 3, args.size, args.size), dtype=torch.uint8, device=dev)
    loss_module, forward, opt, compiled = build(args, dev)
    gen = torch.Generator().manual_seed(0)
    amp = args.amp == "bf16"

    def step():
        idx = torch.randint(0, len(data), (args.batch,), device=dev)
        x = data[idx].float().div_(255)
        v1 = tensor_augment(x, "heavy", gen).contiguous(memory_format=torch.channels_last)
        v2 = tensor_augment(x, "heavy", gen).contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss, _ = forward(v1, v2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    try:
        for _ in range(args.warmup):  # compilation happens here
            step()
    except Exception as e:  # noqa: BLE001 - torch.compile errors surface on the first call
        if compiled != "yes":
            raise
        print(f"torch.compile failed at run time ({type(e).__name__}: {str(e)[:200]}); falling back to eager",
              flush=True)
        forward, compiled = loss_module, "failed->eager"
        for _ in range(args.warmup):
            step()
    sync()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync()
    ips = args.batch * args.steps / (time.perf_counter() - t0)
    rate = f"{ips:,.1f}" if ips < 100 else f"{ips:,.0f}"
    return {"model": args.model, "input": f"3x{args.size}x{args.size}", "batch": str(args.batch),
            "device": device_name(dev), "amp": args.amp, "channels_last": "yes", "compile": compiled,
            "augment": "kornia heavy x2", "steps": str(args.steps), "img/s": rate}


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def update_table(path: Path, row: dict) -> None:
    """Replace the row with the same key in this script's section (or append it); the rest of the file stays."""
    text = path.read_text() if path.exists() else ""
    head, sep, tail = text.partition(TITLE)
    rows, rest = [], ""
    if sep:
        lines = tail.strip("\n").splitlines()
        n_table = next((i for i, ln in enumerate(lines) if not ln.startswith("|")), len(lines))
        body, rest = lines[:n_table], "\n".join(lines[n_table:])  # rest: text after the table
        for ln in body[2:]:
            cells = [c.strip() for c in ln.strip("|").split("|")]
            if len(cells) == len(HEADER):
                rows.append(dict(zip(HEADER, cells)))
    rows = [r for r in rows if any(r[k] != row[k] for k in KEY)] + [row]
    table = [_row(HEADER), _row(["---"] * len(HEADER))] + [_row([r[h] for h in HEADER]) for r in rows]
    out = head.rstrip("\n") + ("\n\n" if head.strip() else "") + TITLE + "\n\n" + "\n".join(table) + "\n"
    if rest.strip():
        out += "\n" + rest.strip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--model", default="cifar_resnet18")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--dataset", type=int, default=50_000, help="images kept resident on the device")
    p.add_argument("--amp", choices=("bf16", "none"), default="bf16")
    p.add_argument("--compile", action="store_true", help="torch.compile the model + loss (eager on failure)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "throughput.md")
    p.add_argument("--no-write", action="store_true", help="print the row only")
    args = p.parse_args(argv)
    if args.batch < 2 or args.steps < 1 or args.warmup < 1:
        p.error("--batch must be >= 2, --steps and --warmup >= 1")
    args.dataset = max(args.dataset if args.device != "cpu" else min(args.dataset, 4 * args.batch), args.batch)
    row = measure(args)
    print(_row(HEADER), _row([row[h] for h in HEADER]), sep="\n", flush=True)
    if not args.no_write:
        update_table(args.out, row)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
