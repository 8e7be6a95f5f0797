"""The one table of training options: what each means and the values it may take.

Keyed by the stage functions' own keyword names (``("refine", "n_clusters")`` where a stage gives a name a meaning
of its own), so the same check runs on a config at load, under the names the user wrote, and in the stage
function (CLI and library calls) with its keyword arguments: ``epochs: -3`` or ``lr: .nan`` fails before any work.
``kit config schema`` prints this table beside the signatures' defaults.
"""
from __future__ import annotations

import importlib
import math
import numbers
from dataclasses import dataclass
from typing import Any

from kit.errors import ConfigError, warn_deprecated

SEED_MAX = 2**32 - 1  # numpy and sklearn seeds: 0 .. 2**32 - 1
DIM_MAX = 65536  # a latent or layer width beyond this is a typo, not a model that fits in memory


@dataclass(frozen=True)
class Option:
    """One option: a one-line description, and its bounds or choices (None: not checked here)."""

    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: value must be > low
    integer: bool = False  # ints only (for keys without a typed default, e.g. inside model_kwargs)
    choices: tuple[str, ...] | str | None = None  # the values, or "module:NAME" of the stage's own tuple

    def allowed(self) -> tuple[str, ...] | None:
        """The choices; a "module:NAME" reference is read from the stage module, so it is never copied here."""
        if isinstance(self.choices, str):
            module, name = self.choices.split(":")
            return tuple(getattr(importlib.import_module(module), name))
        return self.choices

    def bounds(self) -> str:
        """'>= 1', '> 0', 'in [0, 1]', 'an integer >= 1 and <= 65536' ('' when unbounded)."""
        if self.low is not None and self.high is not None and not self.integer:
            return f"in {'(' if self.low_open else '['}{_num(self.low)}, {_num(self.high)}]"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"<= {_num(self.high)}")
        text = " and ".join(parts)
        return f"an integer {text}".strip() if self.integer else text

    def check(self, value: Any, name: str) -> None:
        """ConfigError naming ``name`` when ``value`` is out of range, not finite, or not one of the choices."""
        if value is None:
            return
        if self.choices is not None:
            choices = self.allowed()
            if value not in choices:
                raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
            return
        if self.integer and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            raise ConfigError(f"{name} must be {self.bounds()}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return  # a wrong type is the signature check's error (kit.config.check_signature)
        check_finite(value, name)
        too_low = self.low is not None and (value < self.low or (self.low_open and value == self.low))
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ConfigError(f"{name} must be {self.bounds()}, got {value!r}")


def _num(x: float) -> str:
    """4294967295, not 4.29497e+09: a bound is read to be typed back."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


PRESETS = "kit.train.augment:PRESETS"
OPTIONS: dict[str | tuple[str, str], Option] = {
    # shared by the stages (same name, same meaning)
    "epochs": Option("passes over the images", low=1),
    "batch_size": Option("images per optimisation step", low=1),
    ("finetune", "batch_size"): Option("images per optimisation step (2 or more: the head's BatchNorm needs two)",
                                       low=2, integer=True),
    ("refine", "batch_size"): Option("images per optimisation step (2 or more: the heads' BatchNorm needs two)",
                                     low=2, integer=True),
    "lr": Option("learning rate (Adam)", low=0, low_open=True),
    "weight_decay": Option("L2 weight decay", low=0),
    "seed": Option("seed of weights, batches and augmentation", low=0, high=SEED_MAX, integer=True),
    "device": Option("auto (CUDA when present), cpu or cuda[:N]"),
    "augment": Option("augmentation preset of the training views", choices=PRESETS),
    "freeze_encoder": Option("true: train only the head on fixed features; false: train the encoder too"),
    "model_kwargs": Option("keyword arguments of the model, e.g. {latent_dim: 64, width: 32}"),
    "model_kwargs.latent_dim": Option("size of the latent (features) vector", low=1, high=DIM_MAX, integer=True),
    "model_kwargs.width": Option("channels of the first layer", low=1, high=DIM_MAX, integer=True),
    "model_kwargs.depth": Option("number of blocks", low=1, high=1024, integer=True),
    # pretrain
    ("pretrain", "model"): Option("registered model name (kit.models) or timm:<arch>"),
    "objective": Option("what the encoder learns from", choices="kit.train.pretrain:OBJECTIVES"),
    "rotation_beta": Option("weight of the auxiliary rotation-prediction loss (0: off)", low=0),
    "noise_sigma": Option("denoising: std of the Gaussian noise added to inputs", low=0),
    "temperature": Option("simclr: softmax temperature of the contrastive loss", low=0, low_open=True),
    "augment_backend": Option("augmentation implementation", choices=("auto", "albumentations", "tensor")),
    ("pretrain", "n_clusters"): Option("k of the per-epoch validation clustering (0: number of labeled classes)",
                                       low=0),
    "checkpoint_keep_every": Option("keep checkpoints/epoch_XXX.pt every N-th epoch beside last.pt (0: last.pt only)",
                                    low=0, integer=True),
    # finetune
    "val_fraction": Option("share of the labeled images held out for validation", low=0, high=1),
    ("finetune", "head_hidden"): Option("hidden units of the classifier head (0: linear head)", low=0),
    "n_classes": Option("classes of the head (null: largest label + 1)", low=1),
    "recon_weight": Option("weight of the reconstruction loss kept while finetuning (autoencoders)", low=0),
    # refine
    ("refine", "model"): Option("a registered network trained from scratch (e.g. small_cnn); omit to refine the "
                                "pretrain model"),
    "neighbor_features": Option("space the k nearest neighbours are mined in (a fresh model needs dsift or pixels)",
                                choices="kit.refine.train:NEIGHBOR_FEATURES"),
    "lr_schedule": Option("learning-rate schedule", choices="kit.refine.train:SCHEDULES"),
    ("refine", "n_clusters"): Option("clusters (0: the competition's class count; auto: the labeled classes' count, "
                                     "else chosen in the neighbour features, kit.cluster.auto_k)", low=0),
    "mode": Option("scan (neighbours, no labels), semi (FixMatch with labeled.csv) or auto (semi when labeled)",
                   choices="kit.refine.train:MODES"),
    "k": Option("nearest neighbours per image", low=1),
    "neighbor_reduce": Option("reduce steps applied before mining neighbours, e.g. [{method: umap}]"),
    "self_label_epochs": Option("epochs of self-labelling after SCAN", low=0),
    "min_steps": Option("SCAN epochs are raised until they make at least this many optimizer steps (0: off)", low=0),
    "n_heads": Option("SCAN heads trained at once (the best is kept)", low=1),
    "head_hidden": Option("hidden units of each cluster head (0: linear)", low=0),
    "entropy_weight": Option("SCAN weight of the entropy term that keeps clusters balanced", low=0),
    ("refine", "entropy_prior"): Option("cluster sizes the entropy term aims at: uniform, or estimated from a K-Means "
                                        "in the neighbours' space (imbalanced classes)",
                                        choices="kit.refine.priors:PRIORS"),
    "confidence": Option("self-labelling: probability above which a prediction becomes a pseudo-label", low=0, high=1),
    "fixmatch_threshold": Option("semi: probability above which a weak-view prediction labels the strong view",
                                 low=0, high=1),
    "labeled_weight": Option("weight of the labeled images' cross-entropy", low=0),
    "strong_augment": Option("augmentation preset of the strong view", choices=PRESETS),
    "encoder_lr": Option("encoder learning rate when freeze_encoder is false", low=0, low_open=True),
    # run-config keys that are no stage keyword
    ("cluster", "mapping"): Option("how cluster ids become classes with the labeled images: majority (clusters may "
                                   "share a class) or hungarian (one-to-one)", choices=("majority", "hungarian")),
    ("cluster", "smooth_k"): Option("after clustering, each image's class probabilities are averaged with its "
                                    "smooth_k nearest neighbours' (kit.cluster.smoothing): refine's mined neighbours "
                                    "when the run has them, else the clustered features' own (0: off)",
                                    low=0, integer=True),
    ("cluster", "smooth_alpha"): Option("weight of the neighbours' vote in that smoothing", low=0, high=1,
                                        low_open=True),
    ("validate", "holdout"): Option("share of the labeled images kept out of every stage (refine, finetune, the "
                                    "cluster methods and their mapping) and scored as the run's validation "
                                    "(0: train on all of them)", low=0, high=0.9),
}


# Config keys renamed, still read under their old name for one release: (section, old) -> new. At load (kit.config
# and each command's --config section) the old key becomes the new one, with one deprecation line on stderr.
RENAMED: dict[tuple[str, str], str] = {
    ("finetune", "hidden"): "head_hidden",  # one name for the head width: refine.head_hidden
}
_WARNED: set[tuple[str, str]] = set()  # one line per process, however many configs a sweep loads


def rename_deprecated(section: str, options: Any) -> Any:
    """``options`` (a stage section) with its deprecated keys renamed, in place of the old key (a copy; anything
    not a mapping is returned as it is, for the section check to reject). Old and new key both given: ConfigError."""
    if not isinstance(options, dict):
        return options
    for (where, old), new in RENAMED.items():
        if where != section or old not in options:
            continue
        if new in options:
            raise ConfigError(f"{section}.{old} and {section}.{new} are both given: {section}.{old} is the deprecated "
                              f"name of {section}.{new}; keep only {section}.{new}")
        options = {new if key == old else key: value for key, value in options.items()}
        if (section, old) not in _WARNED:
            _WARNED.add((section, old))
            warn_deprecated(f"{section}.{old}", f"{section}.{new}")
    return options


def option(where: str, key: str) -> Option | None:
    """The table's row for ``where.key``: the stage's own row first, then the shared one."""
    stage = where.split(".")[0]
    return OPTIONS.get((stage, key)) or OPTIONS.get(key)


def check_finite(value: Any, name: str) -> None:
    """NaN compares false with every bound and inf passes a lower one: both would train, then fail far later."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")


def check_ranges(where: str, options: dict[str, Any]) -> None:
    """Raise ConfigError naming ``where.key`` for the first value out of its range or choices.

    ``options`` are keyword names of the stage function (as in a config section); keys the table does not know are
    only checked to be finite numbers. ``model_kwargs`` is checked inside (latent_dim, width, depth).
    """
    for key, value in options.items():
        name = f"{where}.{key}" if where else key
        row = option(where, key)
        if row is not None:
            row.check(value, name)
        else:
            check_finite(value, name)
    kwargs = options.get("model_kwargs")
    if isinstance(kwargs, dict):
        for key, value in kwargs.items():
            name = f"{where}.model_kwargs.{key}" if where else f"model_kwargs.{key}"
            row = OPTIONS.get(f"model_kwargs.{key}")
            if row is not None:
                row.check(value, name)
            else:
                check_finite(value, name)
