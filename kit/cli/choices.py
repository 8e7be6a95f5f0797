"""Fixed choices of CLI options as enums, so --help lists them and a bad value fails before any work (exit 2).

The values mirror the library's own lists (tests/cli/test_choices.py keeps them in sync); they are spelled out
here because importing kit.cluster or torch just to build --help would make every `kit` call seconds slower.
"""
from enum import Enum

import typer


class Objective(str, Enum):
    reconstruction = "reconstruction"
    denoising = "denoising"
    simclr = "simclr"


class Augment(str, Enum):
    none = "none"
    light = "light"
    heavy = "heavy"
    strong = "strong"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class FeatureKind(str, Enum):
    latent = "latent"
    logits = "logits"


class TTA(str, Enum):
    none = "none"
    hflip = "hflip"


class NeighborFeatures(str, Enum):
    model = "model"
    pixels = "pixels"
    dsift = "dsift"


class LabelMapping(str, Enum):
    majority = "majority"
    hungarian = "hungarian"


CLUSTER_METHODS = ("agglomerative", "argmax", "ekmeans", "ensemble", "gmm", "kmeans", "label_spreading", "logreg",
                   "scan", "spectral")
ClusterMethod = Enum("ClusterMethod", {name: name for name in CLUSTER_METHODS}, type=str)


def value(choice) -> str | None:
    """The plain string of an enum member (None stays None), for library functions that take strings."""
    return None if choice is None else getattr(choice, "value", choice)


class RefineMode(str, Enum):
    auto = "auto"
    scan = "scan"
    semi = "semi"


def k_option(k: str, flag: str = "--n-clusters") -> int | str:
    """--n-clusters: an integer >= 1 or auto (a usage error otherwise, exit 2)."""
    if k.strip().lower() == "auto":
        return "auto"
    try:
        value = int(k)
    except ValueError:
        value = 0
    if value < 1:
        raise typer.BadParameter(f"must be an integer >= 1 or auto, got {k!r}", param_hint=f"'{flag}'")
    return value


SEED_MAX = 2**32 - 1  # numpy and sklearn seeds: 0 .. 2**32 - 1 (kit.train.options.SEED_MAX, not imported: torch)


def seed_option(default: int | None = 0, help: str = "Seed (0 .. 2**32 - 1).") -> typer.models.OptionInfo:
    """The one --seed of every command: a negative or too large seed fails as a usage error (exit 2), before any
    work, instead of as a numpy or sklearn traceback after it."""
    return typer.Option(default, "--seed", min=0, max=SEED_MAX, help=help)
