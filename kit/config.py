"""Plain-YAML run configs, validated at load so a typo fails in a second, not after an hour of training."""
from __future__ import annotations

import difflib
import inspect
import re
from pathlib import Path
from typing import Any, Callable

import yaml

from kit.errors import ConfigError
from kit.registry import _check_type as check_type
from kit.train.options import check_ranges

NAME = re.compile(r"[A-Za-z0-9_.-]+")

SECTIONS = {
    "name": "run name: outputs go to runs/<name>/ (required)",
    "seed": "global seed (int, default 0), used by every stage that does not set its own",
    "description": "free text",
    "competition": "where the competition folder is (dir: a kit folder or a Kaggle download, imported with the "
                   "options in 'import'), and how to build it when missing (make)",
    "pretrain": "kit.train.pretrain.pretrain options; omit for no learned model",
    "finetune": "kit.train.finetune.finetune options; needs labeled images",
    "refine": "kit.refine.refine options: neighbour clustering + self-labelling (or FixMatch with labels)",
    "extract": "which model's features to use: {model: pretrain|finetune|refine|raw|dsift|timm:<name>, kind: latent|logits}",
    "reduce": "list of reduction steps, e.g. [{method: pca, n_components: 50}, {method: tsne}]",
    "cluster": "clusterer spec, e.g. {method: kmeans, n_clusters: 10}",
    "submit": "{leaderboard: true, copy_to: submissions/<name>.csv}",
}
COMPETITION_KEYS = {"dir", "make", "import"}
MAKE_KEYS = {"source", "type", "labels_per_class", "public_fraction", "n_images", "groups", "n_pairs", "seed", "name"}
EXTRACT_KEYS = {"model", "kind", "batch_size"}
SUBMIT_KEYS = {"leaderboard", "copy_to", "same_fraction"}


def read_config_file(path: str | Path) -> Any:
    """The YAML as written, not yet validated."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a YAML run config; fill defaults. Raises ConfigError naming the bad key."""
    cfg = read_config_file(path)
    try:
        return validate_config(cfg)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def validate_config(cfg: Any) -> dict[str, Any]:
    if not isinstance(cfg, dict):
        raise ConfigError("config must be a mapping of sections")
    check_keys(cfg, set(SECTIONS), "top level")
    cfg = dict(cfg)
    if not isinstance(cfg.get("name"), str) or not cfg["name"].strip():
        raise ConfigError("'name' is required and must be a non-empty string")
    if not NAME.fullmatch(cfg["name"]) or cfg["name"] in (".", ".."):
        raise ConfigError(f"name must be a plain folder name (letters, digits, . _ -), got {cfg['name']!r}")
    cfg.setdefault("seed", 0)
    if isinstance(cfg["seed"], bool) or not isinstance(cfg["seed"], int):
        raise ConfigError(f"seed must be an integer, got {cfg['seed']!r}")

    comp = cfg.get("competition")
    if not isinstance(comp, dict):
        raise ConfigError("'competition' section is required (keys: dir, make)")
    check_keys(comp, COMPETITION_KEYS, "competition")
    comp = dict(comp)
    comp.setdefault("dir", f"competitions/{cfg['name']}")
    if "make" in comp:
        make = comp["make"]
        if not isinstance(make, dict):
            raise ConfigError("competition.make must be a mapping")
        check_keys(make, MAKE_KEYS, "competition.make")
        if not isinstance(make.get("source"), dict) or "kind" not in make["source"]:
            raise ConfigError("competition.make.source must be a mapping with a 'kind' (e.g. {kind: fashion_mnist})")
        if make.get("type", "label") not in ("label", "binary", "pairs"):
            raise ConfigError(f"competition.make.type must be label, binary or pairs, got {make.get('type')!r}")
    cfg["competition"] = comp

    for section in ("pretrain", "finetune", "refine"):
        if cfg.get(section) is not None:
            if not isinstance(cfg[section], dict):
                raise ConfigError(f"'{section}' must be a mapping (or omitted)")
            check_signature(cfg[section], _stage_function(section), section,
                            extra={"model"} if section == "refine" else set())
            check_ranges(section, cfg[section])
    if cfg.get("finetune") is not None and cfg.get("pretrain") is None:
        raise ConfigError("'finetune' needs a 'pretrain' section (the encoder to finetune)")
    if cfg.get("refine") is not None:
        fresh = cfg["refine"].get("model")
        if fresh is None and cfg.get("pretrain") is None:
            raise ConfigError("'refine' needs a 'pretrain' section (the encoder to refine) or refine.model "
                              "(a registered network to train from scratch, e.g. small_cnn)")
        if fresh is not None and cfg.get("pretrain") is not None:
            raise ConfigError("refine.model trains a fresh network: drop it to refine the pretrain model, "
                              "or drop the 'pretrain' section")
        if fresh is not None:
            from kit.models import create_model

            if not isinstance(fresh, str):
                raise ConfigError(f"refine.model must be a model name, got {fresh!r}")
            create_model(fresh, **(cfg["refine"].get("model_kwargs") or {}))  # did-you-mean / bad kwargs, now
    if cfg.get("refine") and cfg["refine"].get("neighbor_reduce") is not None:
        _check_steps(cfg["refine"]["neighbor_reduce"], "refine.neighbor_reduce")

    extract = cfg.get("extract") or {}
    if not isinstance(extract, dict):
        raise ConfigError("'extract' must be a mapping")
    check_keys(extract, EXTRACT_KEYS, "extract")
    extract = dict(extract)
    default_model = next((s for s in ("refine", "finetune", "pretrain") if cfg.get(s)), "raw")
    extract.setdefault("model", default_model)
    extract.setdefault("kind", "logits" if extract["model"] == "refine" else "latent")
    if extract["model"] in ("pretrain", "finetune", "refine") and not cfg.get(extract["model"]):
        raise ConfigError(f"extract.model is {extract['model']!r} but the config has no '{extract['model']}' section")
    if extract["kind"] not in ("latent", "logits"):
        raise ConfigError(f"extract.kind must be latent or logits, got {extract['kind']!r}")
    cfg["extract"] = extract

    steps = cfg.get("reduce") or []
    _check_steps(steps, "reduce")
    cfg["reduce"] = steps

    cluster = cfg.get("cluster")
    if not isinstance(cluster, dict) or "method" not in cluster:
        raise ConfigError("'cluster' section is required, with a 'method' (e.g. {method: kmeans, n_clusters: 10})")
    from kit.cluster import create_clusterer

    create_clusterer(cluster)

    submit = cfg.get("submit") or {}
    if not isinstance(submit, dict):
        raise ConfigError("'submit' must be a mapping")
    check_keys(submit, SUBMIT_KEYS, "submit")
    submit = dict(submit)
    submit.setdefault("leaderboard", True)
    submit.setdefault("copy_to", f"submissions/{cfg['name']}.csv")
    from kit.submit.writer import check_same_fraction

    check_same_fraction(submit.get("same_fraction"), name="submit.same_fraction")
    cfg["submit"] = submit
    return cfg


def _check_steps(steps: Any, where: str) -> None:
    """A list of reduce specs; unknown methods/keys fail here, not after pretraining."""
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "method" in s for s in steps):
        raise ConfigError(f"'{where}' must be a list of mappings each with a 'method'")
    from kit.reduce import create_reducer

    for step in steps:
        create_reducer(step)


def check_keys(mapping: dict, allowed: set[str], where: str) -> None:
    """Reject unknown keys with a 'did you mean' hint."""
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(f"{where}: unknown key {key!r}{extra} (valid: {', '.join(sorted(allowed))})")


def check_signature(options: dict, fn: Callable, where: str, extra: set[str] = frozenset()) -> None:
    """Options must be keyword arguments of ``fn`` (or in ``extra``) with values of the default's type."""
    params = {
        name: p
        for name, p in inspect.signature(fn).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not inspect.Parameter.empty
    }
    internal = {"resume", "progress", "val_images", "val_labels", "device_override", "ids", "neighbors",
                "labeled_index", "labeled_labels"}
    check_keys(options, (set(params) - internal) | set(extra), where)
    for key, value in options.items():
        if key not in params:
            continue
        default = params[key].default
        if default is not None and value is not None:
            check_type(value, default, f"{where}.{key}")


def _stage_function(section: str) -> Callable:
    if section == "pretrain":
        from kit.train.pretrain import pretrain

        return pretrain
    if section == "refine":
        from kit.refine import refine

        return refine
    from kit.train.finetune import finetune

    return finetune
