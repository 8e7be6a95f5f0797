"""One GPU check, written to bench/gpu.md: SimCLR throughput, the CIFAR-10 SCAN recipe, the pretrained-backbone recipe.

Sized for one H100/H200 in about 9 minutes (scripts/gpu_check.sh):

1. SimCLR cifar_resnet18 end-to-end throughput (img/s, bf16, channels_last): scripts/bench_throughput.py's measure.
2. CIFAR-10 SCAN (configs/cifar10_scan.yaml through ``kit run`` with overrides, all 60,000 images): SimCLR pretrain,
   neighbours mined, refine with the encoder trained (+ self-labelling), ACC. The epochs are sized from the
   throughput just measured so that pretrain + refine fit about 6 minutes of device time (the sizing is written).
3. Pretrained backbone: configs/natural.yaml's extractor (EfficientNet-Lite2, packaged weights) extracts features of the
   same images, cluster method scan, ACC.

Every number in the file is measured by this run; nothing is copied from elsewhere. ``--tiny`` is the CPU smoke run
(a 200-image CIFAR-10 subset, one epoch each, refine without augmentation; about a minute on an idle CPU): its numbers say the code runs, not how fast or how
well, and the file says so.

    python scripts/gpu_check.py                      # the GPU check -> bench/gpu.md
    python scripts/gpu_check.py --tiny --out /tmp/gpu.md --work /tmp/gpu_work
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parent.parent
SCAN_CONFIG = ROOT / "configs" / "cifar10_scan.yaml"
NATURAL_CONFIG = ROOT / "configs" / "natural.yaml"  # the pretrained-backbone recipe's extractor
N_IMAGES = 60_000  # CIFAR-10 train + test
PRETRAIN_BUDGET_S = 200.0  # device seconds for SimCLR pretrain (section 2)
REFINE_BUDGET_S = 100.0  # device seconds for refine: scan + self-label epochs (section 2)
PIPELINE_EFFICIENCY = 0.6  # share of the synthetic throughput a kit run epoch reaches (host indexing, copies)
SELF_LABEL_SHARE = 1 / 3  # of refine's epochs


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_throughput", ROOT / "scripts" / "bench_throughput.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def throughput(dev: torch.device, tiny: bool) -> dict:
    """SimCLR cifar_resnet18 img/s from bench_throughput.measure (bf16 + channels_last on CUDA)."""
    bench = _bench_module()
    batch, steps, warmup = (16, 2, 1) if tiny else (512, 40, 5)
    args = SimpleNamespace(device=str(dev), model="cifar_resnet18", size=32, batch=batch, steps=steps, warmup=warmup,
                           dataset=4 * batch if dev.type == "cpu" else 50_000,
                           amp="bf16" if dev.type == "cuda" else "none", compile=False)
    t0 = time.perf_counter()
    row = bench.measure(args)
    row["ips"] = float(row["img/s"].replace(",", ""))
    row["wall_s"] = time.perf_counter() - t0
    return row


def size_epochs(ips: float, n_images: int) -> dict:
    """Pretrain and refine epochs that fit the device budget at the measured throughput (a SimCLR image is two
    views; a refine image is an anchor + a neighbour view, about the same cost)."""
    per_epoch = n_images / max(ips * PIPELINE_EFFICIENCY, 1.0)
    pretrain = max(1, min(200, int(PRETRAIN_BUDGET_S / per_epoch)))
    refine_total = max(2, min(60, int(REFINE_BUDGET_S / per_epoch)))
    self_label = max(1, int(refine_total * SELF_LABEL_SHARE))
    return {"pretrain": pretrain, "refine": max(1, refine_total - self_label), "self_label": self_label,
            "epoch_s_estimate": per_epoch}


def tiny_source() -> str:
    return "{kind: class_tree, root: 'shared:cifar10', split: train, limit_per_class: 20}"  # 200 images


def scan_recipe(work: Path, tiny: bool, epochs: dict) -> dict:
    """configs/cifar10_scan.yaml through kit run, with the epochs (and, tiny, the data and sizes) overridden."""
    from kit.pipeline.runner import run_pipeline

    comp = work / "competitions" / ("cifar10_tiny" if tiny else "cifar10_all")
    overrides = [f"competition.dir={comp}", f"pretrain.epochs={epochs['pretrain']}",
                 "pretrain.checkpoint_keep_every=0", f"refine.epochs={epochs['refine']}",
                 f"refine.self_label_epochs={epochs['self_label']}", "submit.leaderboard=false", "submit.copy_to=null"]
    if tiny:
        overrides += [f"competition.make.source={tiny_source()}", "pretrain.batch_size=50", "refine.batch_size=50",
                      "refine.k=5", "refine.n_heads=2", "refine.augment=none", "refine.strong_augment=none"]
    t0 = time.perf_counter()
    result = run_pipeline(SCAN_CONFIG, runs_dir=work / "runs", force=True, leaderboard=False, copy_submission=False,
                          overrides=overrides)
    wall = time.perf_counter() - t0
    stages = result["stages"]
    return {"acc": (result["scores"] or {}).get("acc", float("nan")), "wall_s": wall,
            "pretrain_s": _seconds(stages.get("pretrain")), "refine_s": _seconds(stages.get("refine")),
            "comp": comp, "run_dir": result["run_dir"]}


def pretrained_config(comp: Path, tiny: bool) -> dict:
    """configs/natural.yaml's extract and cluster sections on the SCAN recipe's competition; --tiny only shrinks them."""
    import yaml

    base = yaml.safe_load(SCAN_CONFIG.read_text())
    natural = yaml.safe_load(NATURAL_CONFIG.read_text())
    ext, cluster = dict(natural["extract"]), {**natural["cluster"], "n_clusters": 10}
    ext["batch_size"] = 500
    if tiny:
        ext.update(input_size=64, batch_size=50)
        cluster.update(k=5, epochs=2, n_heads=2)
    config = {"name": "cifar10_pretrained_scan" + ("_tiny" if tiny else ""), "seed": base.get("seed", 0),
              "description": f"{ext['model']} ImageNet features -> SCAN heads (scripts/gpu_check.py)",
              "competition": {**base["competition"], "dir": str(comp)},
              "extract": ext, "cluster": cluster, "submit": {"leaderboard": False, "copy_to": None}}
    if tiny:
        config["competition"]["make"] = {**config["competition"]["make"], "source": yaml.safe_load(tiny_source())}
    return config


def pretrained_recipe(work: Path, tiny: bool, comp: Path) -> dict:
    """configs/natural.yaml's ImageNet features of the same competition's images -> its cluster section."""
    from kit.pipeline.runner import run_pipeline

    config = pretrained_config(comp, tiny)
    t0 = time.perf_counter()
    result = run_pipeline(config, runs_dir=work / "runs", force=True, leaderboard=False, copy_submission=False)
    ext, cl = config["extract"], config["cluster"]
    return {"acc": (result["scores"] or {}).get("acc", float("nan")), "wall_s": time.perf_counter() - t0,
            "model": ext["model"], "weights": ext["weights"],
            "cluster": ", ".join(f"{k} {v}" for k, v in cl.items())}


def _seconds(stage_dir) -> float:
    """Training seconds a stage's metrics.csv recorded (its epochs' sum), NaN without one."""
    path = Path(stage_dir) / "metrics.csv" if stage_dir else None
    if path is None or not path.exists():
        return float("nan")
    return float(pd.read_csv(path)["seconds"].sum())


def device_line(dev: torch.device) -> str:
    if dev.type == "cuda":
        return f"{torch.cuda.get_device_name(dev)} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return f"CPU {platform.processor() or platform.machine()} ({os.cpu_count()} cores, torch {torch.__version__})"


def render(mode: str, dev: torch.device, thr: dict, sizing: dict, scan: dict, pre: dict, total_s: float) -> str:
    lines = [f"# GPU check ({mode})", "",
             f"- mode: {mode}" + (" (CPU smoke run: the numbers say the code runs, not how fast or how well)"
                                  if mode == "tiny" else ""),
             f"- device: {device_line(dev)}",
             f"- total wall time: {total_s:.1f} s (scripts/gpu_check.py; every number below measured by this run)", "",
             "## SimCLR ResNet-18 throughput", "",
             "| model | input | batch | amp | channels_last | steps | img/s |", "|---|---|---|---|---|---|---|",
             f"| {thr['model']} | {thr['input']} | {thr['batch']} | {thr['amp']} | {thr['channels_last']} | "
             f"{thr['steps']} | {thr['ips']:.1f} |", "",
             "## CIFAR-10 SCAN recipe", "",
             f"configs/cifar10_scan.yaml with overrides: pretrain.epochs={sizing['pretrain']}, "
             f"refine.epochs={sizing['refine']}, refine.self_label_epochs={sizing['self_label']} "
             f"(sized from the throughput above: about {sizing['epoch_s_estimate']:.2f} s an epoch estimated).", "",
             "| images | pretrain s | refine s | wall s | ACC |", "|---|---|---|---|---|",
             f"| {scan['n_images']} | {scan['pretrain_s']:.1f} | {scan['refine_s']:.1f} | {scan['wall_s']:.1f} | "
             f"{scan['acc']:.4f} |", "",
             f"## Pretrained backbone recipe ({pre['model']}, weights {pre['weights']}, cluster scan)", "",
             f"configs/natural.yaml's extract and cluster sections; cluster: {pre['cluster']}.", "",
             "| images | wall s | ACC |", "|---|---|---|",
             f"| {scan['n_images']} | {pre['wall_s']:.1f} | {pre['acc']:.4f} |", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="CPU smoke run: 200 CIFAR-10 images, one epoch each")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "gpu.md")
    p.add_argument("--work", type=Path, default=None, help="competitions and run folders (default: runs/gpu_check)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cuda or cpu (throughput section)")
    args = p.parse_args(argv)
    from kit.train.loop import pick_device

    dev = pick_device(args.device)
    work = (args.work or ROOT / "runs" / ("gpu_check_tiny" if args.tiny else "gpu_check")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    thr = throughput(dev, args.tiny)
    print(f"throughput: {thr['ips']:.1f} img/s", flush=True)
    n_images = 200 if args.tiny else N_IMAGES
    sizing = ({"pretrain": 1, "refine": 1, "self_label": 1, "epoch_s_estimate": n_images / max(thr["ips"], 1.0)}
              if args.tiny else size_epochs(thr["ips"], n_images))
    scan = scan_recipe(work, args.tiny, sizing)
    scan["n_images"] = n_images
    print(f"cifar10 scan: ACC {scan['acc']:.4f} in {scan['wall_s']:.1f} s", flush=True)
    pre = pretrained_recipe(work, args.tiny, scan["comp"])
    print(f"pretrained scan: ACC {pre['acc']:.4f} in {pre['wall_s']:.1f} s", flush=True)
    text = render("tiny" if args.tiny else "full", dev, thr, sizing, scan, pre, time.perf_counter() - t0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
