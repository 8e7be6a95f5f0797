"""Experiment files: a base run config and parts, each a sweep grid or named variants plus the figures to draw.

Plain YAML validated at load with did-you-mean errors, like run configs:

    name: ae_reductions            # reports/<name>/index.html
    title: Two autoencoders x three reductions
    description: free text shown on the page
    base: {...a run config...}     # every run is this config plus a part's overrides
    holdout: fashion_mnist:split=test,limit=500   # optional: images for the held-out reconstruction loss
    parts:
      - title: ...
        notes: free text
        sweep: {pretrain.model_kwargs.latent_dim: [2, 16]}     # a grid (cartesian product), or
        variants: {mlp: {pretrain.model: mlp_ae}, conv: {}}    # named runs, each a set of overrides
        figures: [{kind: reconstructions}, {kind: embeddings, color: cluster, only: [mlp]}]
"""
from __future__ import annotations

import copy
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.config import read_config_file
from kit.errors import ConfigError, did_you_mean

TOP_KEYS = {"name", "title", "description", "base", "holdout", "parts"}
PART_KEYS = {"title", "notes", "sweep", "variants", "figures"}
# figure kind -> options it accepts besides 'kind' and 'only' (see kit.experiments.figures)
FIGURE_OPTIONS = {
    "reconstructions": {"n"},
    "embeddings": {"color", "max_points"},
    "denoising": {"sigma", "n"},
    "interpolation": {"classes", "indices", "steps"},
    "anomaly": {"ood", "n_examples"},
    "confusions": set(),
    "correlation": set(),
    "checkpoint_curve": {"max_images"},
}
NAME = re.compile(r"[A-Za-z0-9_.-]+")
EMBEDDING_COLORS = ("label", "cluster")


def _count(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(f"{where} must be an integer >= 1, got {value!r}")


def _positive(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where} must be a number > 0, got {value!r}")


def _pair(value: Any, where: str, what: str) -> None:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in value)):
        raise ConfigError(f"{where} must be a list of two {what} (integers >= 0), e.g. [3, 8]; got {value!r}")


def _color(value: Any, where: str) -> None:
    if value not in EMBEDDING_COLORS:
        raise ConfigError(f"{where} must be one of {', '.join(EMBEDDING_COLORS)}; got {value!r}")


def _path(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be the path of an image set (.npz, `kit data ingest`), got {value!r}")
    if not Path(value).is_file():
        raise ConfigError(f"{where}: no such image set file {value}")


# figure kind -> option -> check(value, where): every value a figure takes is checked at load, so a bad one fails
# before anything trains instead of showing up as a 'skipped' section of the page after the whole experiment
FIGURE_CHECKS = {
    "reconstructions": {"n": _count},
    "embeddings": {"color": _color, "max_points": _count},
    "denoising": {"sigma": _positive, "n": _count},
    "interpolation": {"classes": lambda v, w: _pair(v, w, "class ids"),
                      "indices": lambda v, w: _pair(v, w, "image positions"), "steps": _count},
    "anomaly": {"ood": _path, "n_examples": _count},
    "checkpoint_curve": {"max_images": _count},
}


@dataclass
class Part:
    title: str
    notes: str = ""
    sweep: dict[str, list] | None = None
    variants: dict[str, dict[str, Any]] | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.title.lower()).strip("_")[:60] or "part"


@dataclass
class Experiment:
    name: str
    title: str
    base: dict[str, Any]
    parts: list[Part]
    description: str = ""
    holdout: dict[str, Any] | None = None  # a kit.data.load_source spec
    source: str | None = None


def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    for key in d:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}" + did_you_mean(key, sorted(allowed))
                              + f" (allowed: {', '.join(sorted(allowed))})")


def _text(value: Any, where: str, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"{where} must be a{' non-empty' if required else ''} string, got {value!r}")
    return value


def parse_figure(fig: Any, where: str, labels: list[str]) -> dict[str, Any]:
    if isinstance(fig, str):
        fig = {"kind": fig}
    if not isinstance(fig, dict) or "kind" not in fig:
        raise ConfigError(f"{where}: a figure is a mapping with 'kind' (one of {', '.join(FIGURE_OPTIONS)}), got {fig!r}")
    kind = fig["kind"]
    if kind not in FIGURE_OPTIONS:
        raise ConfigError(f"{where}: unknown figure kind {kind!r}" + did_you_mean(kind, FIGURE_OPTIONS)
                          + f" (kinds: {', '.join(FIGURE_OPTIONS)})")
    _check_keys(fig, {"kind", "only"} | FIGURE_OPTIONS[kind], f"{where} ({kind})")
    for key, check in FIGURE_CHECKS.get(kind, {}).items():
        if key in fig:
            check(fig[key], f"{where} ({kind}).{key}")
    if kind == "interpolation" and "classes" in fig and "indices" in fig:
        raise ConfigError(f"{where} ({kind}): give classes (the first image of each) or indices (two image "
                          "positions), not both")
    only = fig.get("only")
    if only is not None:
        if not isinstance(only, list) or not only:
            raise ConfigError(f"{where} ({kind}): 'only' must be a non-empty list of run labels, got {only!r}")
        for label in only:
            if str(label) not in labels:
                raise ConfigError(f"{where} ({kind}): 'only' names {label!r}, which is not a run of this part"
                                  + (did_you_mean(label, labels) or f" (runs: {', '.join(labels)})"))
    return dict(fig)


def sweep_labels(sweep: dict[str, list]) -> list[str]:
    """The labels kit.experiments.sweep gives the grid's cells (Cell.label), for 'only' lists."""
    from kit.experiments.sweep import grid

    return [c.label for c in grid("x", sweep_sets(sweep))]


def sweep_sets(sweep: dict[str, list]) -> list[str]:
    """{key: [v1, v2]} -> ['key=v1,v2'] with each value written as JSON (valid YAML, commas inside [] kept)."""
    return [f"{k}=" + ",".join(v if isinstance(v, str) and "," not in v and ":" not in v else json.dumps(v)
                               for v in values) for k, values in sweep.items()]


def parse_part(raw: Any, i: int) -> Part:
    where = f"parts[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping with title and sweep or variants")
    _check_keys(raw, PART_KEYS, where)
    title = _text(raw.get("title"), f"{where}.title", required=True)
    sweep, variants = raw.get("sweep"), raw.get("variants")
    if (sweep is None) == (variants is None):
        raise ConfigError(f"{where} ({title}): give exactly one of 'sweep' (a grid) or 'variants' (named runs)")
    if sweep is not None:
        if not isinstance(sweep, dict) or not sweep:
            raise ConfigError(f"{where}.sweep must map dotted keys to lists of values, e.g. {{pretrain.epochs: [5, 10]}}")
        for key, values in sweep.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{where}.sweep.{key}: expected a non-empty list of values, got {values!r}")
        labels = sweep_labels(sweep)
    else:
        if not isinstance(variants, dict) or not variants:
            raise ConfigError(f"{where}.variants must map run labels to overrides, e.g. {{conv: {{pretrain.model: conv_ae4}}}}")
        for label, over in variants.items():
            if not isinstance(label, str) or not NAME.fullmatch(label):
                raise ConfigError(f"{where}.variants: label {label!r} must be a plain name (letters, digits, . _ -)")
            if over is not None and not isinstance(over, dict):
                raise ConfigError(f"{where}.variants.{label} must map dotted keys to values (or be empty), got {over!r}")
        variants = {k: dict(v or {}) for k, v in variants.items()}
        labels = list(variants)
    figures = raw.get("figures") or []
    if not isinstance(figures, list):
        raise ConfigError(f"{where}.figures must be a list")
    return Part(title, _text(raw.get("notes"), f"{where}.notes"), sweep, variants,
                [parse_figure(f, f"{where}.figures[{j}]", labels) for j, f in enumerate(figures)])


def _check_base(base: Any) -> dict:
    """The base run config: required, and a mapping written in the experiment file itself."""
    if base is None:
        raise ConfigError("'base' is required: the run config every run of the experiment starts from")
    if not isinstance(base, dict):
        what = (f"the string {base!r}; a file name is not read: write the run config's keys under base:"
                if isinstance(base, str) else f"{type(base).__name__} {base!r}")
        raise ConfigError(f"'base' must be a mapping (the run config every run of the experiment starts from), "
                          f"got {what}")
    return base


def check_figures_against(exp: Experiment, n_classes: int | None, n_images: int) -> None:
    """What a figure names in the competition, once it is loaded (before anything trains): interpolation classes
    below its class count and indices below its image count."""
    for i, part in enumerate(exp.parts):
        for j, fig in enumerate(part.figures):
            where = f"parts[{i}].figures[{j}] ({fig['kind']})"
            if fig["kind"] != "interpolation":
                continue
            if n_classes is not None:
                bad = [c for c in fig.get("classes") or [] if c >= n_classes]
                if bad:
                    raise ConfigError(f"{where}.classes: class {bad[0]} is not a class of the competition "
                                      f"(its classes are 0 .. {n_classes - 1})")
            bad = [k for k in fig.get("indices") or [] if k >= n_images]
            if bad:
                raise ConfigError(f"{where}.indices: position {bad[0]} is past the competition's {n_images} images "
                                  f"(0 .. {n_images - 1})")


def parse_experiment(raw: Any, source: str | None = None) -> Experiment:
    if not isinstance(raw, dict):
        raise ConfigError("an experiment file must be a mapping (name, title, base, parts)")
    _check_keys(raw, TOP_KEYS, "experiment")
    name = _text(raw.get("name"), "name", required=True)
    if not NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(f"name must be a plain folder name (letters, digits, . _ -), got {name!r}")
    base = _check_base(raw.get("base"))
    parts = raw.get("parts")
    if not isinstance(parts, list) or not parts:
        raise ConfigError("'parts' is required: a non-empty list of {title, sweep or variants, figures}")
    parsed = [parse_part(p, i) for i, p in enumerate(parts)]
    slugs = [p.slug for p in parsed]
    if len(set(slugs)) != len(slugs):
        raise ConfigError(f"part titles must differ (their folder names repeat: {slugs})")
    holdout = raw.get("holdout")
    if holdout is not None:  # its form now; whether the source loads, when the experiment runs
        from kit.data.sources import source_spec

        holdout = source_spec(holdout, "holdout")
    return Experiment(name, _text(raw.get("title"), "title") or name, copy.deepcopy(base), parsed,
                      _text(raw.get("description"), "description"), holdout, source)


def load_experiment(path: str | Path, overrides: list[str] | None = None) -> Experiment:
    """Read an experiment file; ``overrides`` ('key=value', dotted into ``base``) scale it, e.g. for a smoke test.
    ``holdout=...`` (``holdout=null`` to drop it) sets the experiment's hold-out source instead."""
    from kit.overrides import apply_overrides, split_item

    raw = read_config_file(path)
    try:
        if overrides:
            if not isinstance(raw, dict):
                raise ConfigError("an experiment file must be a mapping (name, title, base, parts)")
            _check_base(raw.get("base"))  # the overrides apply to it
            top = [split_item(o, "override") for o in overrides if o.split("=", 1)[0].strip() == "holdout"]
            rest = [o for o in overrides if o.split("=", 1)[0].strip() != "holdout"]
            raw = {**raw, "base": apply_overrides(raw["base"], rest), **{k: v for k, v in top}}
        return parse_experiment(raw, str(path))
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
