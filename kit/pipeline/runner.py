"""Run all stages of a config in order; skip each stage whose config and inputs are unchanged."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kit.competition import load_competition
from kit.config import clusterer_spec, label_mapping, load_config, read_config_file, smoothing, validate_config
from kit.determinism import configure_determinism
from kit.io import atomic_path, check_dir_path, check_file_path, read_json, safe_rmtree, write_json, write_text
from kit.pipeline import stages
from kit.pipeline.cache import STAGE_MARKERS, StageDir, file_digest, folder_digest, hash_obj
from kit.submit.writer import check_same_fraction

MODEL_FILES = ["model.json", "model.pt"]
COMPETITION_FILES = ["competition.json", "images.npz", "labeled.csv", "pairs.csv", "sample_submission.csv"]


def run_pipeline(
    config: str | Path | dict,
    *,
    runs_dir: str | Path = "runs",
    force: bool = False,
    leaderboard: bool | None = None,
    copy_submission: bool = True,
    overrides: list[str] | None = None,
    show_private: bool = False,
    console: Console | None = None,
) -> dict[str, Any]:
    """Returns {"run_dir", "stages": {stage: dir}, "ran": [stages run], "scores": {...}, "submission": path}.

    ``overrides``: ["pretrain.epochs=20", ...] applied to the config before validation (kit.overrides).
    ``show_private``: print the private score too (like Kaggle, it is hidden while choosing a config).
    """
    console = console or Console(stderr=True)
    cfg = load_run_config(config, overrides)
    seed = cfg["seed"]
    run_dir = Path(runs_dir) / cfg["name"]
    check_dir_path(run_dir)  # a file where a folder must go: one line now, not a traceback after the work
    run_env = configure_determinism()  # fixed thread count, deterministic CPU kernels; recorded with the submission
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "config.yaml", yaml.safe_dump(cfg, sort_keys=False))

    comp_dir = stages.build_competition(cfg["competition"], seed, console)
    comp = load_competition(comp_dir)
    same_fraction = check_same_fraction(cfg["submit"].get("same_fraction"), comp, "submit.same_fraction")  # before training
    comp_hash = folder_digest(comp_dir, COMPETITION_FILES)
    full_comp, held_ids = comp, None
    if cfg["validate"]["holdout"] and comp.labeled is not None and len(comp.labeled):
        # every stage sees the competition without the held-out labels; only the validate stage scores them
        comp, held_ids = stages.hold_out_labels(full_comp, cfg["validate"]["holdout"], seed)
        comp_hash = hash_obj({"competition": comp_hash, "holdout": cfg["validate"]["holdout"], "seed": seed})
        console.print(f"validate: {len(held_ids)} of {len(full_comp.labeled)} labeled images held out of training "
                      "(validate.holdout)", markup=False, highlight=False)
    paths: dict[str, str | None] = {"competition": str(comp_dir), "pretrain": None, "finetune": None}
    ran: list[str] = []
    timings: list[tuple[str, str, float]] = []

    def waiting(name: str, pid: int | None) -> None:
        by = f"another kit run (pid {pid})" if pid is not None else "another kit run"
        console.print(f"stage {name} is being built by {by}; waiting", markup=False, highlight=False)

    def stage(name: str, config_part: Any, inputs: dict[str, str], build, keep_partial: bool = False,
              check=None) -> StageDir:
        """``check()``: raises when the stage cannot succeed; called before its folder is made."""
        sd = StageDir(run_dir, name, config_part, inputs)
        # a concurrent run of this stage finishes first (we say so); we then read its result
        with sd.lock(on_wait=lambda pid: waiting(name, pid)):
            twin = None if sd.done or force else sd.twin()
            if twin is not None:  # another run (e.g. the same features with another clusterer) already built it
                sd.copy_from(twin)
                console.print(f"{name}: reused {twin}", soft_wrap=True)
            if sd.done and not force:
                timings.append((name, "cached", sd.info().get("seconds", 0.0)))
            else:
                if check is not None:
                    check()
                if force and sd.path.exists():
                    safe_rmtree(sd.path, STAGE_MARKERS)
                sd.prepare(keep_partial=keep_partial)
                console.rule(f"[bold]{name}[/] -> {sd.path}")
                t0 = time.perf_counter()
                build(sd.path)
                seconds = time.perf_counter() - t0
                sd.finish(seconds)
                ran.append(name)
                timings.append((name, "ran", seconds))
        paths[name] = str(sd.path)
        return sd

    upstream = {"competition": comp_hash}
    model: str = cfg["extract"]["model"]
    if cfg.get("pretrain"):
        pre = stage("pretrain", {"seed": seed, **cfg["pretrain"]}, upstream,
                    lambda out: stages.pretrain_stage(comp, cfg["pretrain"], seed, out), keep_partial=True)
        if model == "pretrain":
            model, upstream = str(pre.path), {"model": pre.hash}
        if cfg.get("finetune"):
            fin = stage("finetune", {"seed": seed, **cfg["finetune"]}, {"competition": comp_hash, "pretrain": pre.hash},
                        lambda out: stages.finetune_stage(comp, pre.path, cfg["finetune"], seed, out),
                        keep_partial=True)
            if model == "finetune":
                model, upstream = str(fin.path), {"model": fin.hash}

    nb_path = None  # refine's mined neighbours, which cluster.smooth_k votes over when the run has them
    if cfg.get("refine"):
        from kit.refine.train import resolve_mode

        ref_cfg = cfg["refine"]
        if ref_cfg.get("model"):  # a fresh network, trained from scratch (its name and kwargs are in ref_cfg)
            base_path, inputs = ref_cfg["model"], {"competition": comp_hash}
        else:  # refine builds on the last trained model
            base = fin if cfg.get("finetune") else pre
            base_path, inputs = base.path, {"model": base.hash, "competition": comp_hash}
        has_labels = comp.labeled is not None and len(comp.labeled) > 0
        if resolve_mode(ref_cfg.get("mode", "auto"), has_labels, bool(ref_cfg.get("model")),
                        ref_cfg.get("neighbor_features", "model")) == "scan":
            k, steps = ref_cfg.get("k", 20), ref_cfg.get("neighbor_reduce")
            features = ref_cfg.get("neighbor_features", "model")
            nb_cfg = {"k": k, "reduce": steps, "seed": seed}
            if features != "model":  # a descriptor's neighbours do not depend on the model
                nb_cfg, nb_inputs = {**nb_cfg, "features": features}, {"competition": comp_hash}
            else:
                nb_inputs = inputs
            nb = stage("neighbors", nb_cfg, nb_inputs,
                       lambda out: stages.neighbors_stage(comp, base_path, k, out, steps, seed, features,
                                                          ref_cfg.get("device", "auto")))
            nb_path = nb.path / "neighbors.npz"
            inputs = {**inputs, "neighbors": file_digest(nb_path)}
        ref_options = {key: v for key, v in ref_cfg.items() if key != "model"}
        ref = stage("refine", {"seed": seed, **ref_cfg}, inputs,
                    lambda out: stages.refine_stage(comp, base_path, nb_path, ref_options, seed, out),
                    keep_partial=True)
        if model == "refine":
            model, upstream = str(ref.path), {"model": ref.hash}

    ext_cfg = cfg["extract"]
    if model == ext_cfg["model"] and Path(model).is_dir():  # a model folder given by path: hash its content
        ext_cfg, upstream = {**ext_cfg, "model": "<folder>"}, {"model": folder_digest(model, MODEL_FILES)}
    if ext_cfg.get("weights"):  # the weights file's content, not its name, decides the features
        from kit.models.weights import resolve_weights

        upstream = {**upstream, "weights": file_digest(resolve_weights(ext_cfg["weights"]))}
    # features depend on the images alone (not the labels or the split): competitions of the same images share them
    ext_inputs = {**{k: v for k, v in upstream.items() if k != "competition"},
                  "images": file_digest(Path(comp_dir) / "images.npz")}
    ext = stage("extract", ext_cfg, ext_inputs,
                lambda out: stages.extract_stage(comp, model, cfg["extract"], out))
    red = stage("reduce", {"seed": seed, "steps": cfg["reduce"]}, {"extract": ext.hash},
                lambda out: stages.reduce_stage(ext.path / "features.npz", cfg["reduce"], seed, out, console=console),
                check=lambda: stages.check_reduce(ext.path / "features.npz", cfg["reduce"], seed))
    smooth = smoothing(cfg["cluster"])
    smooth_nb = nb_path if smooth["smooth_k"] else None
    clu = stage("cluster", {"seed": seed, **cfg["cluster"]},
                {"reduce": red.hash, "competition": comp_hash,
                 **({"neighbors": file_digest(smooth_nb)} if smooth_nb else {})},
                lambda out: stages.cluster_stage(comp, red.path / "embedding.npz", clusterer_spec(cfg["cluster"]), seed,
                                                 out, mapping=label_mapping(cfg["cluster"]), **smooth,
                                                 neighbors=smooth_nb, console=console))
    from kit.validation import validate_stage

    labeled = comp.labeled is not None and len(comp.labeled) > 0
    # finetune trains on the labels, and so does refine whenever there are some (scan + labels, or semi)
    trained_on_labels = labeled and bool(cfg.get("finetune") or cfg.get("refine"))
    val = stage("validate", {"seed": seed, **cfg["cluster"], "trained_on_labels": trained_on_labels},
                {"cluster": clu.hash, "competition": comp_hash},
                lambda out: validate_stage(full_comp, clu.path / "clusters.npz", red.path / "embedding.npz",
                                           clusterer_spec(cfg["cluster"]), seed, trained_on_labels, out, **smooth,
                                           neighbors=smooth_nb, held_out=held_ids))
    rule = {"same_fraction": same_fraction} if same_fraction is not None else {}
    config_hash = hash_obj({"config": {k: v for k, v in cfg.items() if k not in ("description", "submit")},
                            "competition": comp_hash, **rule})  # the pairs rule changes the submission; where it goes does not
    sub = stage("submit", rule, {"cluster": clu.hash},
                lambda out: stages.submit_stage(comp, clu.path / "clusters.npz", out, _metadata(cfg, config_hash, seed),
                                                 **rule))
    write_json(run_dir / "stages.json", paths)

    submission = sub.path / "submission.csv"
    validation = read_json(val.path / "validation.json")
    scores = _score(comp_dir, submission, comp.metric, sub.path,
                    {"validation": validation["score"], "validation_kind": validation["kind"]})
    if copy_submission and cfg["submit"].get("copy_to"):
        from kit.competition.leaderboard import submission_dest

        # a name of its own (copy_to's {id}: config hash + content), so no other submission is ever overwritten
        dest, note = submission_dest(cfg["submit"]["copy_to"], config_hash=config_hash, source=submission)
        if note:
            console.print(f"[yellow]{escape(note)}[/]")
        check_file_path(dest, "submit.copy_to")  # checked at load; a file put in the way since is one line too
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:  # a crash never leaves a half-copied submission
            shutil.copyfile(submission, tmp)
        record = {**read_json(submission.with_suffix(".json")), "scores": scores, "config_file": _config_file(config),
                  "determinism": run_env}
        write_json(dest.with_suffix(".json"), record)  # what `make reproduce` checks against
        submission = dest
    use_lb = cfg["submit"]["leaderboard"] if leaderboard is None else leaderboard
    if use_lb:  # an imported competition has no hidden solution: its row has the validation score only
        from kit.competition.leaderboard import append_entry

        nan = float("nan")
        append_entry(file=str(submission), public=scores["public"] if scores else nan,
                     private=scores["private"] if scores else nan, nmi=scores["nmi"] if scores else nan,
                     ari=scores["ari"] if scores else nan, config_hash=config_hash, competition=comp.name,
                     git_commit=_metadata(cfg, config_hash, seed)["git_commit"],
                     validation=validation["score"], validation_kind=validation["kind"],
                     extra={"config": cfg["name"], "seconds": round(sum(t for _, s, t in timings if s == "ran"), 1)})
    _print_summary(console, cfg["name"], timings, scores, submission, show_private, validation)
    return {"run_dir": run_dir, "stages": paths, "ran": ran, "scores": scores, "submission": submission,
            "config_hash": config_hash, "determinism": run_env, "validation": validation}


def _config_file(config: Any) -> str | None:
    return None if isinstance(config, dict) else str(config)


def _metadata(cfg: dict, config_hash: str, seed: int) -> dict:
    from kit.submit.metadata import submission_metadata

    return submission_metadata(config=cfg, config_hash=config_hash, seed=seed)


def _score(comp_dir: Path, submission: Path, metric: str, out_dir: Path, extra: dict) -> dict | None:
    """Offline public/private score against the hidden solution, when this machine has it, with ``extra`` (the
    validation score) beside it in scores.json."""
    from kit.competition import score_submission

    solution = Path(comp_dir) / "hidden" / "solution.csv"
    if not solution.exists():
        return None
    scores = {**score_submission(submission, solution, metric), **extra}
    write_json(out_dir / "scores.json", scores)
    return scores


def load_run_config(config: str | Path | dict, overrides: list[str] | None = None) -> dict[str, Any]:
    """A config file or dict, with dotted key=value overrides applied, validated."""
    if not overrides:
        return load_config(config) if not isinstance(config, dict) else validate_config(config)
    from kit.overrides import apply_overrides

    raw = config if isinstance(config, dict) else read_config_file(config)
    return validate_config(apply_overrides(raw, overrides))


def _print_summary(console: Console, name: str, timings, scores, submission: Path, show_private: bool = False,
                   validation: dict | None = None) -> None:
    table = Table(title=f"kit run {name}")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    for stage_name, status, seconds in timings:
        table.add_row(stage_name, status, f"{seconds:.1f}")
    console.print(table)
    console.print(f"submission: [bold]{escape(str(submission))}[/]", soft_wrap=True)
    if scores:
        private = f"private [bold green]{scores['private']:.4f}[/]  " if show_private else ""
        console.print(f"public [bold green]{scores['public']:.4f}[/]  {private}NMI {scores['nmi']:.4f}  "
                      f"ARI {scores['ari']:.4f}" + ("" if show_private else "  (private hidden: --private)"))
    if validation:
        console.print(f"validation {validation['score']:.4f} ({validation['kind']}, {validation['n']} images)")
