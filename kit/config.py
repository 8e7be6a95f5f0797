"""Plain-YAML run configs, validated at load so a typo fails in a second, not after an hour of training.

Everything that can be checked before the first stage is checked here, naming the key as the user wrote it:
unknown keys (did-you-mean), types (the stage functions' defaults), ranges and choices (the one table,
kit.train.options.OPTIONS), model names, a fresh refine network's needs, and sizes against the competition's image
count when it is known at load (``competition_facts``: make spec or existing folder). ``schema()`` lists the same
keys with their defaults and descriptions (`kit config schema`).
"""
from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from kit.competition.validate import TYPES
from kit.errors import ConfigError, did_you_mean
from kit.registry import _check_type as check_type
from kit.registry import _parameters
from kit.train.options import OPTIONS, check_ranges, option, rename_deprecated

NAME = re.compile(r"[A-Za-z0-9_.-]+")
DEFAULT_SEED = 0

SECTIONS = {
    "name": "run name: outputs go to runs/<name>/ (required)",
    "seed": "global seed (int, default 0), used by every stage that does not set its own",
    "description": "free text",
    "competition": "where the competition folder is (dir: a kit folder or a Kaggle download, imported with the "
                   "options in 'import'), and how to build it when missing (make)",
    "pretrain": "kit.train.pretrain.pretrain options; omit for no learned model",
    "finetune": "kit.train.finetune.finetune options; needs labeled images",
    "refine": "kit.refine.refine options: neighbour clustering + self-labelling (or FixMatch with labels)",
    "extract": "which model's features to use: {model: pretrain|finetune|refine|raw|dsift|timm:<name>, kind: "
               "latent|logits, tta: none|hflip}; a timm backbone also takes weights (file or packaged name, e.g. "
               "efficientnet_lite0), pretrained (hub download) and input_size",
    "reduce": "list of reduction steps, e.g. [{method: pca, n_components: 50}, {method: tsne}]",
    "cluster": "clusterer spec, e.g. {method: kmeans, n_clusters: 10}, plus mapping (majority|hungarian)",
    "submit": "{leaderboard: true, copy_to: submissions/<name>-{id}.csv}",
    "validate": "{holdout: 0.2}: labeled images kept out of training and scored as the validation (default 0)",
}
VALIDATE_DEFAULTS = {"holdout": 0.0}
COMPETITION_KEYS = {
    "dir": "the competition folder, or a Kaggle download imported beside it as <dir>.kit",
    "make": "how to build the folder when it is missing (the options of `kit competition make`)",
    "import": "options of the import of a Kaggle download (the options of `kit competition import`)",
}
MAKE_KEYS = {
    "source": "the images: {kind: digits|fashion_mnist|cifar10|..., split, limit, ...} (required)",
    "type": "label, binary (two groups of classes) or pairs (same class or not)",
    "labels_per_class": "labeled images per class given to participants (0: pure clustering)",
    "public_fraction": "share of the submission rows on the public leaderboard",
    "n_images": "seeded, class-stratified subset of this many images (null: all)",
    "class_ratio": "imbalanced classes: sizes fall geometrically by class index to R times smaller (1: as the source)",
    "groups": "binary: the two groups of classes",
    "n_pairs": "pairs: number of pairs (null: the number of images)",
    "seed": "seed of ids, subsets, labeled images and the public/private split (default: the run's seed)",
    "name": "competition name (default: the folder name)",
}
EXTRACT_KEYS = {
    "model": "pretrain|finetune|refine|raw|dsift|timm:<arch> (default: the last trained model, else raw)",
    "kind": "latent (encoder features) or logits (a classifier head's; the default for refine)",
    "batch_size": "images per forward pass",
    "tta": "none or hflip (mean of the image's and its mirror image's outputs)",
    "weights": "timm backbone: weights file or packaged name",
    "pretrained": "timm backbone: download hub weights",
    "input_size": "timm backbone: images are resized to this side",
}
SUBMIT_KEYS = {
    "leaderboard": "append the score to submissions/leaderboard.csv",
    "copy_to": "where the submission CSV is copied ({id}: hash of config and content; null: no copy). An existing "
               "folder, or a path ending in /, means inside it as <name>-{id}.csv. Checked at load: no file may "
               "stand where a folder of the path must be",
    "same_fraction": "pairs: share of pairs answered 'same' (the most similar); null: P(same) > 1/2",
}
SUBMIT_DEFAULTS = {"leaderboard": True, "copy_to": "submissions/{name}-{{id}}.csv", "same_fraction": None}
STAGES = ("pretrain", "finetune", "refine")
# keywords the pipeline fills from the competition and the run, never from a config
INTERNAL = {"resume", "progress", "val_images", "val_labels", "ids", "neighbors",
            "labeled_index", "labeled_labels"}
CLUSTER_RUN_KEYS = ("mapping", "smooth_k", "smooth_alpha")  # keys of the cluster stage, not of the clusterer
FRESH_NEIGHBORS = ("dsift", "pixels")  # descriptors: a fresh network's own features are random


# --- reading ---------------------------------------------------------------------------------------------------

def read_config_file(path: str | Path) -> Any:
    """The YAML as written, not yet validated; every failure is one line naming the file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a BOM (Windows editors) is no error
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                          "a config is YAML text") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror or e})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: {yaml_error(e)}") from None


def yaml_error(e: yaml.YAMLError) -> str:
    """'invalid YAML at line 3, column 5: mapping values are not allowed here': PyYAML's caret block, in one line."""
    if isinstance(e, yaml.reader.ReaderError):  # a control character or NUL byte: a binary file
        code = ord(e.character) if isinstance(e.character, str) else int(e.character)
        return f"not a YAML text file (control character #x{code:04x} at offset {e.position})"
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e)
    context, context_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
    if context and context != problem and context_mark is not None:
        problem += f" ({context} at line {context_mark.line + 1})"
    return " ".join(f"invalid YAML{where}: {problem}".split())


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a YAML run config; fill defaults. Raises ConfigError naming the bad key."""
    cfg = read_config_file(path)
    try:
        return validate_config(cfg)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


# --- what the competition holds, known before it is built ---------------------------------------------------------

@dataclass(frozen=True)
class CompetitionFacts:
    """Image count and labels of the run's competition where they are known at load; None where not.

    ``n_images`` from a make spec is an upper bound (n_images, source limit): the source may hold fewer, so a value
    above it is certainly wrong. The notes say where a fact comes from, for messages.
    """

    n_images: int | None = None
    n_note: str = ""
    has_labels: bool | None = None
    labels_note: str = ""
    image_shape: tuple[int, ...] | None = None  # (H, W, C) of the images, from the folder's images.npz header
    shape_note: str = ""


def competition_facts(comp: dict[str, Any], seed: int = DEFAULT_SEED) -> CompetitionFacts:
    """From the folder when it exists and was built from this spec (the run will use it), else from the make spec."""
    folder = Path(comp["dir"])
    make = comp.get("make")
    meta = _read_meta(folder)
    if meta is not None and _same_spec(meta, make, seed):
        return _folder_facts(folder, meta)
    if isinstance(make, dict):
        return _make_facts(make)
    return CompetitionFacts()


def _read_meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "competition.json").read_text())
    except (OSError, ValueError):
        return None  # missing or broken: loading the competition reports it
    return meta if isinstance(meta, dict) else None


def _same_spec(meta: dict, make: Any, seed: int) -> bool:
    """A folder built from another make spec is rebuilt-or-refused by the run, so its counts say nothing."""
    recorded = meta.get("make")
    if not isinstance(make, dict) or recorded is None:
        return True
    from kit.pipeline.cache import hash_obj

    return hash_obj(recorded) == hash_obj({**make, "seed": make.get("seed", seed)})


def _folder_facts(folder: Path, meta: dict) -> CompetitionFacts:
    n = meta.get("n_images")
    if not _is_int(n):
        n = _count_ids(folder / "images.npz")
    labeled = folder / "labeled.csv"
    has_labels = _has_rows(labeled)
    from kit.pipeline.stages import npz_shape

    shape = npz_shape(folder / "images.npz", "images")  # the header alone: (N, H, W, C)
    return CompetitionFacts(n, str(folder / "competition.json"), has_labels,
                            f"{folder} has {'no labeled.csv' if not labeled.exists() else 'no labeled rows'}",
                            shape[1:] if shape is not None and len(shape) == 4 else None,
                            str(folder / "images.npz"))


def _count_ids(path: Path) -> int | None:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            return int(npz["ids"].shape[0])
    except (OSError, ValueError, KeyError):
        return None


def _has_rows(csv: Path) -> bool:
    """labeled.csv with at least one row under its header (the run counts no labels otherwise)."""
    try:
        with open(csv, encoding="utf-8", errors="replace") as f:
            return bool(f.readline()) and any(line.strip() for line in f)
    except OSError:
        return False


def _make_facts(make: dict) -> CompetitionFacts:
    source = make.get("source") if isinstance(make.get("source"), dict) else {}
    bounds = [(v, f"competition.make.{k} is {v}") for k, v in (("n_images", make.get("n_images")),
                                                               ("source.limit", source.get("limit"))) if _is_int(v)]
    n, note = min(bounds) if bounds else (None, "")
    per_class = make.get("labels_per_class", 0)
    has_labels = per_class > 0 if _is_int(per_class) else None
    return CompetitionFacts(n, note, has_labels, f"competition.make.labels_per_class is {per_class}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- validation ------------------------------------------------------------------------------------------------

def validate_config(cfg: Any) -> dict[str, Any]:
    """The config with defaults filled; ConfigError naming the first bad key."""
    if not isinstance(cfg, dict):
        raise ConfigError("config must be a mapping of sections")
    check_keys(cfg, set(SECTIONS), "top level")
    cfg = dict(cfg)
    _check_name(cfg.get("name"))
    cfg.setdefault("seed", DEFAULT_SEED)
    if isinstance(cfg["seed"], bool) or not isinstance(cfg["seed"], int):
        raise ConfigError(f"seed must be an integer, got {cfg['seed']!r}")
    check_ranges("", {"seed": cfg["seed"]})  # sklearn rejects a negative random_state deep inside reduce
    cfg["competition"] = _check_competition(cfg.get("competition"), cfg["name"])
    facts = competition_facts(cfg["competition"], cfg["seed"])

    for section in STAGES:
        if cfg.get(section) is not None:
            cfg[section] = rename_deprecated(section, cfg[section])  # finetune.hidden -> finetune.head_hidden
            _check_stage(section, cfg[section])
    _check_stage_order(cfg)
    if cfg.get("refine") is not None:
        _check_refine(cfg["refine"], facts)
    cfg["extract"] = _check_extract(cfg)
    steps = cfg.get("reduce") or []
    _check_steps(steps, "reduce")
    cfg["reduce"] = steps
    _check_cluster(cfg.get("cluster"))
    cfg["submit"] = _check_submit(cfg.get("submit"), cfg["name"])
    cfg["validate"] = _check_validate(cfg.get("validate"), facts)
    check_sizes(cfg, facts)
    return cfg


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("'name' is required and must be a non-empty string")
    if not NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(f"name must be a plain folder name (letters, digits, . _ -), got {name!r}")


def _check_competition(comp: Any, name: str) -> dict[str, Any]:
    if not isinstance(comp, dict):
        raise ConfigError("'competition' section is required (keys: dir, make)")
    check_keys(comp, COMPETITION_KEYS, "competition")
    comp = dict(comp)
    comp.setdefault("dir", f"competitions/{name}")
    if "make" in comp:
        make = comp["make"]
        if not isinstance(make, dict):
            raise ConfigError("competition.make must be a mapping")
        check_keys(make, MAKE_KEYS, "competition.make")
        if not isinstance(make.get("source"), dict) or "kind" not in make["source"]:
            raise ConfigError("competition.make.source must be a mapping with a 'kind' (e.g. {kind: fashion_mnist})")
        if make.get("type", "label") not in TYPES:
            raise ConfigError(f"competition.make.type must be one of {', '.join(TYPES)}, got {make.get('type')!r}"
                              + did_you_mean(make.get("type"), TYPES))
        check_ranges("competition.make", {"seed": make.get("seed")})
        if "class_ratio" in make:
            from kit.competition.make import check_class_ratio

            check_class_ratio(make["class_ratio"], "competition.make.class_ratio")
    if comp.get("import") is not None:
        if not isinstance(comp["import"], dict):
            raise ConfigError("competition.import must be a mapping")
        from kit.competition.importer import import_competition

        check_signature(comp["import"], import_competition, "competition.import", internal={"overwrite"})
    return comp


def _check_stage(section: str, options: Any) -> None:
    """Keys, types, ranges and choices of one stage section, and its model's name and kwargs."""
    if not isinstance(options, dict):
        raise ConfigError(f"'{section}' must be a mapping (or omitted)")
    fn = _stage_function(section)
    if section == "refine" and options.get("n_clusters") == "auto":  # chosen from the data (kit.cluster.auto_k)
        options = {k: v for k, v in options.items() if k != "n_clusters"}
    check_signature(options, fn, section, extra={"model"} if section == "refine" else set())
    check_ranges(section, options)
    check_device(options.get("device"), f"{section}.device")
    if section == "pretrain":
        check_model(options.get("model", _default(fn, "model")), options.get("model_kwargs"), "pretrain")


CUDA = re.compile(r"cuda(:\d+)?")


def check_device(device: Any, where: str) -> None:
    """cuda[:N] only where this machine has that CUDA GPU, at load rather than when the stage starts (torch is
    imported only for a cuda device; auto and cpu always work)."""
    if not isinstance(device, str) or not device.startswith("cuda"):
        return
    if not CUDA.fullmatch(device):
        raise ConfigError(f"{where} must be auto, cpu or cuda[:N], got {device!r}")
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(f"{where} is {device!r}, but this machine has no CUDA GPU; use auto or cpu")
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise ConfigError(f"{where} is {device!r}, but this machine has {torch.cuda.device_count()} CUDA GPU(s) "
                          f"(cuda:0 .. cuda:{torch.cuda.device_count() - 1})")


def _check_stage_order(cfg: dict) -> None:
    if cfg.get("finetune") is not None and cfg.get("pretrain") is None:
        raise ConfigError("'finetune' needs a 'pretrain' section (the encoder to finetune)")
    if cfg.get("refine") is None:
        return
    fresh = cfg["refine"].get("model")
    if fresh is None and cfg.get("pretrain") is None:
        raise ConfigError("'refine' needs a 'pretrain' section (the encoder to refine) or refine.model "
                          "(a registered network to train from scratch, e.g. small_cnn)")
    if fresh is not None and cfg.get("pretrain") is not None:
        raise ConfigError("refine.model trains a fresh network: drop it to refine the pretrain model, "
                          "or drop the 'pretrain' section")


def _check_refine(ref: dict, facts: CompetitionFacts) -> None:
    """The mode against the competition's labels, and a fresh network's needs, before pretraining starts."""
    from kit.refine import refine

    mode = ref.get("mode", _default(refine, "mode"))
    if mode == "semi" and facts.has_labels is False:
        raise ConfigError(f"refine.mode is semi, which needs labeled images, but {facts.labels_note}")
    scan = mode == "scan" or (mode == "auto" and facts.has_labels is False)
    fresh = ref.get("model")
    if fresh is not None:
        if not isinstance(fresh, str):
            raise ConfigError(f"refine.model must be a model name, got {fresh!r}")
        kwargs = ref.get("model_kwargs") or {}
        check_model(fresh, kwargs, "refine")
        from kit.models import create_model

        create_model(fresh, **kwargs)  # bad values of known kwargs, now
        _check_fresh(fresh, ref, scan, refine)
    if ref.get("neighbor_reduce") is not None:
        _check_steps(ref["neighbor_reduce"], "refine.neighbor_reduce")


def _check_fresh(name: str, ref: dict, scan: bool, refine: Callable) -> None:
    """A network built fresh has random weights: a frozen one learns nothing, and its features give random
    neighbours. Say everything that must change at once."""
    needs = []
    if ref.get("freeze_encoder", _default(refine, "freeze_encoder")):
        needs.append("refine.freeze_encoder: false (train it)")
    if scan and ref.get("neighbor_features", _default(refine, "neighbor_features")) not in FRESH_NEIGHBORS:
        needs.append(f"refine.neighbor_features: {' or '.join(FRESH_NEIGHBORS)} (mine neighbours in a descriptor)")
    if needs:
        raise ConfigError(f"refine.model {name} is built fresh, so its weights and features are random: "
                          f"set {' and '.join(needs)}")


def check_model(name: Any, kwargs: Any, where: str) -> None:
    """A registered model name (did-you-mean) or timm:<arch>, and model_kwargs its factory takes; nothing is built."""
    if not isinstance(name, str):
        raise ConfigError(f"{where}.model must be a model name, got {name!r}")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise ConfigError(f"{where}.model_kwargs must be a mapping, got {kwargs!r}")
    if name.startswith("timm:"):
        _check_timm(name, kwargs or {}, where)
        return
    from kit.models.registry import MODELS

    try:
        factory = MODELS.get(name)
    except ConfigError as e:
        raise ConfigError(f"{where}.model: {e}") from None
    params = inspect.signature(factory).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return
    known = {k: v for k, v in _parameters(factory).items() if k not in ("in_channels", "image_size")}
    check_keys(kwargs or {}, set(known), f"{where}.model_kwargs (model {name})")
    for key, value in (kwargs or {}).items():
        check_type(value, known[key], f"{where}.model_kwargs.{key}")


def _check_timm(name: str, kwargs: dict, where: str) -> None:
    """A timm backbone's model_kwargs. latent_dim is refused here, at load, not when the stage starts: a timm encoder
    gives its own pooled features (their width is the backbone's) and ignores latent_dim."""
    if "latent_dim" in kwargs:
        raise ConfigError(f"{where}.model_kwargs.latent_dim: timm encoders ignore latent_dim ({name} gives its own "
                          "pooled features, as wide as the backbone's); drop it, and add a reduce step (e.g. pca) "
                          "for a smaller code")
    from kit.models.timm_backbone import TimmEncoder

    known = set(_parameters(TimmEncoder)) - {"arch", "in_channels", "image_size", "latent_dim"}
    check_keys(kwargs, known, f"{where}.model_kwargs (model {name})")
    import timm

    if not timm.is_model(name[5:]):
        raise ConfigError(f"{where}.model: timm has no model {name[5:]!r}" + did_you_mean(name[5:], timm.list_models()))


def _check_extract(cfg: dict) -> dict[str, Any]:
    extract = cfg.get("extract") or {}
    if not isinstance(extract, dict):
        raise ConfigError("'extract' must be a mapping")
    check_keys(extract, EXTRACT_KEYS, "extract")
    extract = dict(extract)
    extract.setdefault("model", _default_extract_model(cfg))
    extract.setdefault("kind", "logits" if extract["model"] == "refine" else "latent")
    if extract["model"] in STAGES and not cfg.get(extract["model"]):
        raise ConfigError(f"extract.model is {extract['model']!r} but the config has no '{extract['model']}' section")
    from kit.train.extract import check_extract_options

    check_extract_options(extract["model"], **{k: v for k, v in extract.items() if k not in ("model", "batch_size")})
    return extract


def _default_extract_model(cfg: dict) -> str:
    """The last trained model's features, else raw pixels."""
    return next((s for s in ("refine", "finetune", "pretrain") if cfg.get(s)), "raw")


def _check_cluster(cluster: Any) -> None:
    if not isinstance(cluster, dict) or "method" not in cluster:
        raise ConfigError("'cluster' section is required, with a 'method' (e.g. {method: kmeans, n_clusters: 10})")
    check_ranges("cluster", {k: cluster[k] for k in CLUSTER_RUN_KEYS if k in cluster})
    from kit.cluster import create_clusterer

    spec = clusterer_spec(cluster)
    if spec.get("n_clusters") == "auto":  # chosen from the data by the cluster stage (kit.cluster.auto_k)
        del spec["n_clusters"]
    create_clusterer(spec)


def clusterer_spec(cluster: dict[str, Any]) -> dict[str, Any]:
    """The clusterer's own spec: the cluster section without the run's keys (mapping)."""
    return {k: v for k, v in cluster.items() if k not in CLUSTER_RUN_KEYS}


def label_mapping(cluster: dict[str, Any]) -> str:
    """How cluster ids become classes with the labeled images (cluster.mapping; kit cluster --mapping)."""
    return cluster.get("mapping") or "majority"


SMOOTH_ALPHA = 0.8


def smoothing(cluster: dict[str, Any]) -> dict[str, Any]:
    """The cluster stage's neighbour smoothing (cluster.smooth_k / smooth_alpha; kit cluster --smooth-k)."""
    return {"smooth_k": int(cluster.get("smooth_k") or 0),
            "smooth_alpha": float(cluster.get("smooth_alpha", SMOOTH_ALPHA))}


def _check_validate(validate: Any, facts: CompetitionFacts) -> dict[str, Any]:
    if validate is None:
        return dict(VALIDATE_DEFAULTS)
    if not isinstance(validate, dict):
        raise ConfigError("'validate' must be a mapping, e.g. {holdout: 0.2}")
    check_keys(validate, VALIDATE_DEFAULTS, "validate")
    validate = {**VALIDATE_DEFAULTS, **validate}
    check_type(validate["holdout"], VALIDATE_DEFAULTS["holdout"], "validate.holdout")
    check_ranges("validate", validate)
    if validate["holdout"] and facts.has_labels is False:
        raise ConfigError(f"validate.holdout keeps labeled images out of training, but {facts.labels_note}")
    return validate


def _check_submit(submit: Any, name: str) -> dict[str, Any]:
    submit = submit or {}
    if not isinstance(submit, dict):
        raise ConfigError("'submit' must be a mapping")
    check_keys(submit, SUBMIT_KEYS, "submit")
    submit = dict(submit)
    submit.setdefault("leaderboard", SUBMIT_DEFAULTS["leaderboard"])
    submit.setdefault("copy_to", SUBMIT_DEFAULTS["copy_to"].format(name=name))  # {id}: hash of config + content
    submit["copy_to"] = copy_destination(submit["copy_to"], name)
    from kit.submit.writer import check_same_fraction

    check_same_fraction(submit.get("same_fraction"), name="submit.same_fraction")
    return submit


def copy_destination(copy_to: Any, name: str) -> str | None:
    """submit.copy_to as the runner will use it: null (or empty) is no copy; an existing folder, or a path ending
    in a slash, is that folder with the run's own file name (<name>-{id}.csv); the path must be creatable as a file
    (no file where one of its folders must be). Checked at load, not after the run."""
    if copy_to is None or copy_to == "":
        return None
    if not isinstance(copy_to, str):
        raise ConfigError(f"submit.copy_to must be a file path (or null: no copy), got {copy_to!r}")
    if copy_to.endswith(("/", "\\")) or Path(copy_to).is_dir():
        copy_to = str(Path(copy_to) / f"{name}-{{id}}.csv")
    from kit.io import check_file_path

    check_file_path(copy_to, "submit.copy_to")
    return copy_to


def check_sizes(cfg: dict, facts: CompetitionFacts) -> None:
    """Counts that cannot exceed the competition's images (PCA components, clusters, neighbours), when that
    number is known at load, and the reduce steps' sizes against the features' width when that is known
    (``feature_dim``); otherwise the stages check them, before they write anything."""
    _check_reduce_width(cfg, facts)
    _check_smoothing(cfg, facts)
    n = facts.n_images
    if n is None:
        return
    for i, step in enumerate(cfg.get("reduce") or []):
        _at_most(step.get("n_components"), n, f"reduce.{i}.n_components", facts)
    ref = cfg.get("refine")
    if ref:
        from kit.refine import refine

        for i, step in enumerate(ref.get("neighbor_reduce") or []):
            _at_most(step.get("n_components"), n, f"refine.neighbor_reduce.{i}.n_components", facts)
        _below(ref.get("k", _default(refine, "k")), n, "refine.k", facts)
        _at_most(ref.get("n_clusters"), n, "refine.n_clusters", facts)
    cluster = cfg["cluster"]
    _at_most(cluster.get("n_clusters"), n, "cluster.n_clusters", facts)
    _below(cluster.get("k"), n, "cluster.k", facts)
    _below(cluster.get("smooth_k"), n, "cluster.smooth_k", facts)
    for i, member in enumerate(cluster.get("members") or []):
        if isinstance(member, dict):
            _at_most(member.get("n_clusters"), n, f"cluster.members.{i}.n_clusters", facts)


def _check_smoothing(cfg: dict, facts: CompetitionFacts) -> None:
    """cluster.smooth_k votes over refine's mined neighbours when the run mines them (SCAN): it cannot ask for more
    than refine.k. Checked when the labels, and so the mode, are known at load; otherwise at the cluster stage."""
    smooth_k, ref = cfg["cluster"].get("smooth_k"), cfg.get("refine")
    if not ref or not _is_int(smooth_k) or not smooth_k or facts.has_labels is None:
        return
    from kit.refine import refine
    from kit.refine.train import resolve_mode

    mode = resolve_mode(ref.get("mode", "auto"), facts.has_labels, bool(ref.get("model")),
                        ref.get("neighbor_features", "model"))
    k = ref.get("k", _default(refine, "k"))
    if mode == "scan" and _is_int(k) and smooth_k > k:
        raise ConfigError(f"cluster.smooth_k={smooth_k} votes over the neighbours refine mines, refine.k={k} per "
                          f"image: set cluster.smooth_k <= {k} or refine.k >= {smooth_k}")


def feature_dim(cfg: dict, facts: CompetitionFacts) -> tuple[int, str] | None:
    """(D, where it comes from) of the extract stage's features when the config and the competition tell it at
    load: raw pixels of a competition folder that exists (H * W * C), or the latent code of a pretrain model whose
    latent_dim is set or has a default; None otherwise (the reduce stage then checks before it writes)."""
    ext = cfg["extract"]
    model = ext["model"]
    if model == "raw" and facts.image_shape is not None:
        shape = " x ".join(map(str, facts.image_shape))
        d = 1
        for side in facts.image_shape:
            d *= int(side)
        return d, f"the raw pixels of {shape} images ({facts.shape_note})"
    if model in ("pretrain", "finetune") and ext.get("kind") == "latent" and cfg.get("pretrain"):
        from kit.train.pretrain import pretrain

        name = cfg["pretrain"].get("model", _default(pretrain, "model"))
        if not isinstance(name, str) or name.startswith("timm:"):
            return None
        from kit.models.registry import MODELS

        kwargs = cfg["pretrain"].get("model_kwargs") or {}
        latent = kwargs.get("latent_dim", _parameters(MODELS.get(name)).get("latent_dim"))
        if _is_int(latent):
            how = "pretrain.model_kwargs.latent_dim" if "latent_dim" in kwargs else f"{name}'s default latent_dim"
            return latent, f"the {model} model's latent code ({how} {latent})"
    return None


def _check_reduce_width(cfg: dict, facts: CompetitionFacts) -> None:
    """Each reduce step's sizes (PCA n_components <= min(N, D), ...) against the features, when D is known."""
    dim = feature_dim(cfg, facts) if cfg.get("reduce") else None
    if dim is None:
        return
    from kit.errors import KitError
    from kit.reduce import check_shapes

    d, note = dim
    try:
        check_shapes(cfg["reduce"], facts.n_images, d, seed=cfg["seed"])
    except KitError as e:
        raise ConfigError(f"{e}; the features are {note}") from None


def _at_most(value: Any, n: int, name: str, facts: CompetitionFacts) -> None:
    if _is_int(value) and value > n:
        raise ConfigError(f"{name}={value} is more than the number of images, {n} ({facts.n_note})")


def _below(value: Any, n: int, name: str, facts: CompetitionFacts) -> None:
    if _is_int(value) and value >= n:
        raise ConfigError(f"{name}={value} must be smaller than the number of images, {n} ({facts.n_note})")


def _check_steps(steps: Any, where: str) -> None:
    """A list of reduce specs; unknown methods/keys fail here, not after pretraining."""
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "method" in s for s in steps):
        raise ConfigError(f"'{where}' must be a list of mappings each with a 'method'")
    from kit.reduce import create_reducer

    for step in steps:
        create_reducer(step)


def check_keys(mapping: dict, allowed: set[str] | dict[str, Any], where: str) -> None:
    """Reject unknown keys with a 'did you mean' hint."""
    for key in mapping:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, sorted(allowed))} "
                              f"(valid: {', '.join(sorted(allowed))})")


def check_signature(options: dict, fn: Callable, where: str, extra: set[str] = frozenset(),
                    internal: set[str] = frozenset()) -> None:
    """Options must be keyword arguments of ``fn`` (or in ``extra``) with values of the default's type.

    null is only a value where the default is null: elsewhere it would reach the stage as None; deleting the key
    (``~key`` on the command line) gives the default."""
    params = _keywords(fn, INTERNAL | set(internal))
    check_keys(options, set(params) | set(extra), where)
    for key, value in options.items():
        if key not in params:
            continue
        default = params[key]
        if value is None and default is not None:
            raise ConfigError(f"{where}.{key} is null; delete the key (~{where}.{key} in an override) for its default "
                              f"({_show(default)})")
        if default is not None:
            check_type(value, default, f"{where}.{key}")


def _keywords(fn: Callable, internal: set[str] = INTERNAL) -> dict[str, Any]:
    """Keyword parameters of ``fn`` with a default, minus those the pipeline fills: the keys a config may set."""
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not inspect.Parameter.empty
        and name not in internal
    }


def _default(fn: Callable, key: str) -> Any:
    return inspect.signature(fn).parameters[key].default


def _stage_function(section: str) -> Callable:
    if section == "pretrain":
        from kit.train.pretrain import pretrain

        return pretrain
    if section == "refine":
        from kit.refine import refine

        return refine
    from kit.train.finetune import finetune

    return finetune


# --- schema ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SchemaRow:
    key: str  # dotted, as in an override
    default: str  # as YAML would write it; '' when there is none
    doc: str


def schema(section: str | None = None) -> list[SchemaRow]:
    """Every config key with its default and a one-line description, from the tables and signatures that
    ``validate_config`` checks against. ``section``: only that one (did-you-mean otherwise)."""
    if section is not None:
        check_keys({section: None}, SECTIONS, "schema section")
    builders: dict[str, Callable[[], list[SchemaRow]]] = {
        "name": lambda: [SchemaRow("name", "", SECTIONS["name"])],
        "seed": lambda: [SchemaRow("seed", _show(DEFAULT_SEED), _describe(SECTIONS["seed"], OPTIONS["seed"]))],
        "description": lambda: [SchemaRow("description", "", SECTIONS["description"])],
        "competition": _competition_schema,
        "pretrain": lambda: _stage_schema("pretrain"),
        "finetune": lambda: _stage_schema("finetune"),
        "refine": lambda: _stage_schema("refine"),
        "extract": _extract_schema,
        "reduce": lambda: _registry_schema("reduce"),
        "cluster": lambda: _registry_schema("cluster"),
        "submit": lambda: [SchemaRow(f"submit.{k}", _show(SUBMIT_DEFAULTS[k]).format(name="<name>"), doc)
                           for k, doc in SUBMIT_KEYS.items()],
        "validate": lambda: [SchemaRow("validate.holdout", _show(VALIDATE_DEFAULTS["holdout"]),
                                       _describe(OPTIONS[("validate", "holdout")].doc, OPTIONS[("validate", "holdout")]))],
    }
    return [row for name in SECTIONS if section in (None, name) for row in builders[name]()]


def _stage_schema(section: str) -> list[SchemaRow]:
    fn = _stage_function(section)
    keys = _keywords(fn)
    if section == "refine":
        keys = {"model": None, **keys}
    rows = []
    for key, default in keys.items():
        row = option(section, key)
        shown = "the run's seed" if key == "seed" else _show(default)
        rows.append(SchemaRow(f"{section}.{key}", shown, _describe(row.doc, row) if row else "(undocumented)"))
        if key == "model_kwargs":
            rows += [SchemaRow(f"{section}.{k}", "", _describe(OPTIONS[k].doc, OPTIONS[k]))
                     for k in OPTIONS if isinstance(k, str) and k.startswith("model_kwargs.")]
    return rows


def _competition_schema() -> list[SchemaRow]:
    from kit.competition import make_competition
    from kit.competition.importer import import_competition

    make = _keywords(make_competition, {"overwrite", "source_info", "make_spec"})
    rows = [SchemaRow("competition.dir", "competitions/<name>", COMPETITION_KEYS["dir"])]
    shown = {"source": "", "seed": "the run's seed"}
    rows += [SchemaRow(f"competition.make.{k}", shown.get(k, _show(make.get(k))), doc) for k, doc in MAKE_KEYS.items()]
    keys = ", ".join(f"{k}={_show(v)}" for k, v in _keywords(import_competition, {"overwrite"}).items())
    return rows + [SchemaRow("competition.import", "", f"{COMPETITION_KEYS['import']} [{keys}]")]


def _extract_schema() -> list[SchemaRow]:
    from kit.train.extract import extract_features

    defaults = _keywords(extract_features)
    return [SchemaRow(f"extract.{k}", _show(defaults[k]) if k in defaults and k != "kind" else "", doc)
            for k, doc in EXTRACT_KEYS.items()]


def _registry_schema(section: str) -> list[SchemaRow]:
    """One row per method: its keys and defaults, read from the registered estimator."""
    if section == "reduce":
        from kit.reduce import REDUCERS as registry
    else:
        from kit.cluster import CLUSTERERS as registry
    rows = [SchemaRow(f"{section}.method" if section == "cluster" else "reduce.N.method", "",
                      f"one of {', '.join(registry.names)}")]
    if section == "cluster":
        defaults = {"mapping": label_mapping({}), **smoothing({})}  # what the cluster stage uses when the key is absent
        rows += [SchemaRow(f"cluster.{k}", _show(defaults[k]), _describe(option("cluster", k).doc, option("cluster", k)))
                 for k in CLUSTER_RUN_KEYS]
    for name in registry.names:
        factory = registry.get(name)
        params = {("seed" if k == "random_state" else k): v for k, v in _parameters(factory).items()}
        summary = _first_sentence(factory.__doc__)  # its own, not an inherited base-class docstring
        keys = ", ".join(f"{k}={_show(v)}" for k, v in params.items()) or "no keys"
        rows.append(SchemaRow(f"{section}: {name}", "", f"{summary} [{keys}]" if summary else f"[{keys}]"))
    return rows


def _first_sentence(doc: str | None) -> str:
    paragraph = " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split())
    return paragraph.split(". ")[0].rstrip(".")


def _describe(doc: str, row: Any) -> str:
    """The description plus what the validator accepts."""
    if row is None:
        return doc
    if row.choices is not None:
        return f"{doc}; one of {', '.join(map(str, row.allowed()))}"
    bounds = row.bounds()
    return f"{doc}; {bounds}" if bounds else doc


def _show(value: Any) -> str:
    """A default as YAML would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)
