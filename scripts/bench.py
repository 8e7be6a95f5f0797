"""`make bench`: measure pipelines end to end and write bench/results.md (measured, never asserted).

Each entry is a run config; the table gives ACC/NMI/ARI over every submission row (the hidden solution),
public/private scores, seconds per stage and the device. Raw-pixel baselines (PCA50 + K-Means,
PCA50 + openTSNE + K-Means) sit next to the learned pipelines. Pretraining throughput comes from
scripts/bench_throughput.py.

    python scripts/bench.py                 # every entry
    python scripts/bench.py --only fm_raw   # entries whose name contains the text
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch
from rich.console import Console

from kit.config import load_config
from kit.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
ENTRIES = [  # (dataset, config); configs/bench/fm_*.yaml are the attempts at the Fashion-MNIST default, kept as rows
    ("sklearn digits", "configs/digits.yaml"),
    ("sklearn digits", "configs/bench/digits_refine.yaml"),
    ("sklearn digits", "configs/bench/digits_scratch_nosmooth.yaml"),
    ("sklearn digits", "configs/bench/digits_scratch.yaml"),
    ("sklearn digits", "configs/bench/digits_lite0_scan.yaml"),
    ("sklearn digits", "configs/bench/natural_recipe_digits.yaml"),
    ("sklearn digits", "configs/bench/default_recipe_digits_minsteps0.yaml"),
    ("sklearn digits", "configs/bench/default_recipe_digits.yaml"),
    ("Fashion-MNIST", "configs/bench/fashion_mnist_raw_pca_kmeans.yaml"),
    ("Fashion-MNIST", "configs/bench/fashion_mnist_raw_pca_tsne_kmeans.yaml"),
    ("Fashion-MNIST", "configs/bench/fashion_mnist_dsift_pca_kmeans.yaml"),
    ("Fashion-MNIST", "configs/bench/fm_nosmooth.yaml"),
    ("Fashion-MNIST", "configs/fashion_mnist.yaml"),
    ("Fashion-MNIST", "configs/bench/fm_ae_tsne_ekm.yaml"),
    ("Fashion-MNIST", "configs/bench/fm_ae_refine.yaml"),
    ("Fashion-MNIST", "configs/bench/fm_lite0_scan.yaml"),
    ("Fashion-MNIST", "configs/bench/natural_recipe_fm.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_raw_pca_kmeans.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_raw_pca_tsne_kmeans.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_dsift_pca_kmeans.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_scratch_nosmooth.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_scratch.yaml"),
    ("CIFAR-10", "configs/bench/default_recipe_cifar10_minsteps0.yaml"),
    ("CIFAR-10", "configs/bench/default_recipe_cifar10.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_lite0_kmeans.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_lite0_kmeans_noflip.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_lite0_scan.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_lite0_scan_smooth.yaml"),
    ("CIFAR-10", "configs/bench/cifar10_lite2_scan_smooth.yaml"),
    ("CIFAR-10", "configs/natural.yaml"),
    ("CIFAR-10 binary", "configs/cifar10_binary.yaml"),
    ("CIFAR-10 binary", "configs/bench/cifar10_binary_scratch.yaml"),
    ("CIFAR-10 binary", "configs/bench/cifar10_binary_lite0_kmeans.yaml"),
    ("CIFAR-10 binary", "configs/bench/cifar10_binary_lite0_scan.yaml"),
    ("CIFAR-10 binary", "configs/bench/cifar10_binary_lite2_scan.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_cpu.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_kmeans.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_logreg.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_selftrain.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_selftrain_smooth.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_balanced.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite2_balanced.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_spreading.yaml"),
    ("CIFAR-10 few labels", "configs/bench/cifar10_fewlabels_lite0_scan.yaml"),
    ("Fashion-MNIST 10k, 100 labels", "configs/bench/fm10k_fewlabels_spreading.yaml"),
    ("Fashion-MNIST 10k, 100 labels", "configs/bench/fm10k_fewlabels_nolabels.yaml"),
    ("Fashion-MNIST 10k, 100 labels", "configs/bench/fm10k_fewlabels_default.yaml"),
    ("Fashion-MNIST 10k, 100 labels", "configs/bench/fm10k_fewlabels_holdout.yaml"),
    ("sklearn digits, 100 labels", "configs/bench/digits_fewlabels_spreading.yaml"),
    ("sklearn digits, 100 labels", "configs/bench/digits_fewlabels_nolabels.yaml"),
    ("sklearn digits, 100 labels", "configs/bench/digits_fewlabels_default.yaml"),
    ("sklearn digits, 100 labels", "configs/bench/digits_fewlabels_holdout.yaml"),
    ("CIFAR-10 pairs", "configs/bench/cifar10_pairs_bayes.yaml"),
    ("CIFAR-10 pairs", "configs/cifar10_pairs.yaml"),
    ("CIFAR-10 pairs", "configs/bench/cifar10_pairs_scratch.yaml"),
    ("CIFAR-10 pairs", "configs/bench/cifar10_pairs_lite0_scan.yaml"),
    ("CIFAR-10 pairs", "configs/bench/cifar10_pairs_lite2_scan.yaml"),
    ("sklearn digits pairs", "configs/bench/digits_pairs_bayes.yaml"),
    ("sklearn digits pairs", "configs/bench/digits_pairs_half.yaml"),
    ("Fashion-MNIST pairs", "configs/bench/fm_pairs_bayes.yaml"),
    ("Fashion-MNIST pairs", "configs/bench/fm_pairs_half.yaml"),
    ("sklearn digits 10:1", "configs/bench/digits_imbalanced_default.yaml"),
    ("sklearn digits 10:1", "configs/bench/digits_imbalanced_prior.yaml"),
    ("sklearn digits 10:1", "configs/bench/digits_imbalanced_scratch.yaml"),
    ("sklearn digits 10:1", "configs/bench/digits_imbalanced_scratch_prior.yaml"),
    ("Fashion-MNIST 10:1", "configs/bench/fm_imbalanced_default.yaml"),
    ("Fashion-MNIST 10:1", "configs/bench/fm_imbalanced_prior_heads.yaml"),
    ("Fashion-MNIST 10:1", "configs/bench/fm_imbalanced_prior.yaml"),
]
BLENDS = [  # (dataset, configs whose submissions `kit blend` combines), each beside its best single input
    ("Fashion-MNIST", ["configs/fashion_mnist.yaml", "configs/bench/fm_lite0_scan.yaml", "configs/bench/fm_ae_refine.yaml"]),
    ("CIFAR-10", ["configs/bench/cifar10_lite2_scan_smooth.yaml", "configs/bench/cifar10_lite0_scan.yaml",
                  "configs/bench/cifar10_lite0_kmeans.yaml"]),
]
STAGES = ("pretrain", "finetune", "neighbors", "refine", "extract", "reduce", "cluster", "validate")


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    from kit.determinism import cpu_info

    info = cpu_info()
    isa = f", {info['cpu_capability']}" if info["cpu_capability"] else ""
    return f"CPU ({os.cpu_count()} cores, {info['cpu'] or platform.machine()}{isa})"


def stage_seconds(stages: dict) -> dict[str, float]:
    out = {}
    for name in STAGES:
        if stages.get(name):
            out[name] = json.loads((Path(stages[name]) / "stage.json").read_text())["seconds"]
    return out


def pipeline_name(cfg: dict) -> str:
    if cfg.get("pretrain"):
        parts = [cfg["pretrain"]["model"] + f" {cfg['pretrain'].get('objective', 'reconstruction')}"]
    elif cfg.get("refine", {}).get("model"):
        parts = [f"{cfg['refine']['model']} from scratch"]
    elif str(cfg["extract"]["model"]).startswith("timm:"):
        e = cfg["extract"]
        parts = [f"{e['model'][5:]} {'ImageNet' if e.get('weights') or e.get('pretrained') else 'random'} "
                 f"{e.get('input_size', '')}px" + (" hflip" if e.get("tta", "none") != "none" else "")]
    else:
        parts = ["dense SIFT" if cfg["extract"]["model"] == "dsift" else "raw pixels"]
    if cfg.get("finetune"):
        parts.append("finetune")
    if cfg.get("refine"):
        r = cfg["refine"]
        nb = r.get("neighbor_features", "model")
        parts.append(f"refine {r.get('mode', 'auto')}" + ("" if r.get("freeze_encoder", True) else " (encoder trained)")
                     + ("" if nb == "model" else f" on {nb} neighbours")
                     + (" (estimated size prior)" if r.get("entropy_prior", "uniform") != "uniform" else "")
                     + (" (labels only name the clusters)" if r.get("labeled_weight", 1) == 0
                        and cfg["competition"].get("make", {}).get("labels_per_class") else ""))
    parts += [s["method"] + str(s.get("n_components", "")) for s in cfg["reduce"]]
    c = cfg["cluster"]
    parts.append(c["method"] + (" + self-training" if c.get("self_training_threshold") else "")
                 + (" + class-balanced self-training" if c.get("pseudo_label_share") else "")
                 + (f" ({c['n_heads']} heads)" if c.get("n_heads") else "")
                 + (f" + kNN-{c['smooth_k']} smoothing" if c.get("smooth_k") else "")
                 + (f" ({c['entropy_prior']} size prior)" if c.get("entropy_prior", "uniform") != "uniform" else ""))
    if (cfg.get("validate") or {}).get("holdout"):
        parts.append(f"validated on {cfg['validate']['holdout']:.0%} of the labels, held out of training")
    if cfg.get("submit", {}).get("same_fraction") is not None:  # pairs: which rule turned probabilities into "same"
        parts.append(f"top {cfg['submit']['same_fraction']:g} of <p_a, p_b> same")
    elif cfg["competition"].get("make", {}).get("type") == "pairs":
        parts.append("<p_a, p_b> > 1/2 same")
    return " -> ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="run entries whose config path contains this text")
    ap.add_argument("--skip", action="append", default=[], help="skip entries whose config path contains this text")
    ap.add_argument("--runs-dir", default="runs", help="shared with `kit run`, so cached stages are reused")
    ap.add_argument("--out", default="bench/results.md")
    ap.add_argument("--no-throughput", action="store_true")
    args = ap.parse_args()
    console = Console(stderr=True)
    from calibrate import calibration_line

    calib = calibration_line()  # measured first, on an idle machine: compares this table's seconds with another's
    console.print(calib)
    rows, submissions = [], {}
    for dataset, config in ENTRIES:
        if args.only not in config or any(s in config for s in args.skip):
            continue
        cfg = load_config(ROOT / config)
        t0 = time.perf_counter()
        try:
            res = run_pipeline(ROOT / config, runs_dir=args.runs_dir, leaderboard=False, copy_submission=False, console=console)
        except Exception as e:  # one broken entry must not hide the others' numbers
            console.print(f"[red]{config} failed: {e}[/]")
            rows.append((dataset, pipeline_name(cfg), None, f"failed: {type(e).__name__}: {e}", None))
            continue
        wall = time.perf_counter() - t0
        scores = dict(res["scores"], baseline=majority_baseline(res["stages"]["competition"]))
        if cfg["competition"].get("make", {}).get("class_ratio", 1) != 1:
            scores["recall"] = class_recall(res["submission"], res["stages"]["competition"])
        rows.append((dataset, pipeline_name(cfg), scores, stage_seconds(res["stages"]), wall))
        submissions[config] = (res["submission"], res["stages"]["competition"], scores["public"])
    for dataset, configs in BLENDS:
        if all(c in submissions for c in configs):
            rows.append(blend_row(dataset, configs, submissions))
    skipped = [c for _, c in ENTRIES if args.skip and any(s in c for s in args.skip)]
    write_results(ROOT / args.out, rows, skipped, calib)
    for extra in ("attempts.md", "auto_k.md", "reproducibility.md", "gpu.md", "scale.md", "experiments.md"):  # measured separately; kept beside the table
        if (ROOT / "bench" / extra).exists():
            with open(ROOT / args.out, "a") as f:
                f.write("\n" + (ROOT / "bench" / extra).read_text())
    if not args.no_throughput:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_throughput.py")], cwd=ROOT, check=False)
        tp = ROOT / "bench" / "throughput.md"
        if tp.exists():
            with open(ROOT / args.out, "a") as f:
                f.write("\n## Pretraining throughput\n\n" + tp.read_text())
    console.print(f"wrote {args.out}")
    return 0


def blend_row(dataset: str, configs: list[str], submissions: dict):
    """`kit blend` of the configs' submissions (equal weights), scored like any run; names its best input."""
    import tempfile

    from kit.competition import load_competition, score_submission
    from kit.submit.blend import blend

    comp_dir = submissions[configs[0]][1]
    t0 = time.perf_counter()
    df = blend([submissions[c][0] for c in configs], load_competition(comp_dir))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blend.csv"
        df.to_csv(path, index=False)
        scores = score_submission(path, Path(comp_dir) / "hidden" / "solution.csv", load_competition(comp_dir).metric)
    best = max(configs, key=lambda c: submissions[c][2])
    names = " + ".join(Path(c).stem for c in configs)
    return (dataset, f"blend ({names}; best input {Path(best).stem} {submissions[best][2]:.3f} public)",
            {**scores, "validation": None, "validation_kind": "", "baseline": ""}, {"blend": time.perf_counter() - t0},
            None)


def class_recall(submission, comp_dir: str) -> list[float]:
    """Recall of each class (by class index, Hungarian-matched), over every submission row."""
    import pandas as pd

    from kit.metrics import per_class_recall

    sub = pd.read_csv(submission)
    sol = pd.read_csv(Path(comp_dir) / "hidden" / "solution.csv").set_index("id").loc[sub.iloc[:, 0]]
    return list(per_class_recall(sol["label"].to_numpy(), sub.iloc[:, 1].to_numpy()).values())


def ranking_lines(rows) -> list[str]:
    """Spearman rank correlation of the validation column with the public score, per dataset and kind of
    validation, over the rows above: how far a user could trust it to pick the run to submit."""
    from scipy.stats import spearmanr

    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for dataset, _, scores, _, _ in rows:
        if scores and scores.get("validation") is not None:
            groups.setdefault((dataset, scores["validation_kind"]), []).append((scores["validation"], scores["public"]))
    lines = ["", "## How well the validation column ranks runs", "",
             "The validation score needs no hidden solution (kit.validation: k-fold on held-out labels, accuracy on",
             "the labels, or without labels the chance-corrected kNN agreement of the clusters in one dense-SIFT space per competition).",
             "Spearman rank correlation with the public score across this table's runs of each dataset:", "",
             "| dataset | validation kind | runs | Spearman rho |", "|---|---|---|---|"]
    for (dataset, kind), pairs in groups.items():
        if len(pairs) >= 3:
            rho = spearmanr([v for v, _ in pairs], [p for _, p in pairs]).statistic
            lines.append(f"| {dataset} | {kind} | {len(pairs)} | {rho:.2f} |")
    return lines


def majority_baseline(comp_dir: str) -> str:
    """What a constant answer scores: binary "the bigger group" (max(acc, 1-acc) of all-0), pairs "all different"."""
    import pandas as pd

    comp = json.loads((Path(comp_dir) / "competition.json").read_text())
    if comp["type"] not in ("binary", "pairs"):
        return ""
    y = pd.read_csv(Path(comp_dir) / "hidden" / "solution.csv")["label"].to_numpy()
    zero = float((y == 0).mean())
    return f"{max(zero, 1 - zero):.3f}" if comp["type"] == "binary" else f"{max(zero, 1 - zero):.3f}"


def _validation(scores: dict) -> str:
    return "–" if scores.get("validation") is None else f"{scores['validation']:.3f} {scores['validation_kind']}"


def write_results(path: Path, rows, skipped: list[str] = (), calib: str = "") -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d %H:%M')} — device: {device_name()}, torch {torch.__version__}.",
        f"CPU {calib} (scripts/calibrate.py: a machine with twice these milliseconds takes about twice the seconds).",
        "ACC is the competition's metric over all submission rows: Hungarian-matched accuracy for clustering, plain accuracy",
        "with few labels and for pairs, max(acc, 1-acc) for binary;",
        "public/private are the offline leaderboard scores. Seconds are per stage as recorded in each stage folder",
        "(a stage reused from the cache shows its original time).",
        "",
        "Constant baseline: for binary, predicting the bigger group (scored max(acc, 1-acc)); for pairs, the better of",
        "all-same / all-different. A pipeline that does not beat it has learned nothing.",
        "",
        "| dataset | pipeline | ACC | NMI | ARI | public | private | validation | constant baseline | seconds (stages) | device |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for dataset, pipeline, scores, seconds, wall in rows:
        if scores is None:
            lines.append(f"| {dataset} | {pipeline} | – | – | – | – | – | – | – | {seconds} | {device_name()} |")
            continue
        secs = ", ".join(f"{k} {v:.0f}" for k, v in seconds.items())
        total = sum(seconds.values())
        lines.append(
            f"| {dataset} | {pipeline} | {scores['acc']:.3f} | {scores['nmi']:.3f} | {scores['ari']:.3f} | "
            f"{scores['public']:.3f} | {scores['private']:.3f} | {_validation(scores)} | "
            f"{scores.get('baseline', '')} | {total:.0f} ({secs}) | "
            f"{device_name()} |"
        )
    recall = [(d, p, s["recall"]) for d, p, s, _, _ in rows if s and "recall" in s]
    if recall:
        lines += ["", "## Imbalanced classes (class sizes falling 10:1 by class index)", "",
                  "Recall of each class after Hungarian matching (class 0 is the largest, 9 the smallest):", "",
                  "| dataset | pipeline | mean recall | recall per class 0..9 |", "|---|---|---|---|"]
        lines += [f"| {d} | {p} | {sum(r) / len(r):.3f} | {' '.join(f'{v:.2f}' for v in r)} |" for d, p, r in recall]
    lines += ranking_lines(rows)
    if skipped:
        lines += ["", "Not run in this measurement (--skip): " + ", ".join(f"`{c}`" for c in skipped) + "."]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
