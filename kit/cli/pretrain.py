"""`kit pretrain`: train an autoencoder or a self-supervised encoder on a competition's images."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import Augment, Device, Objective, seed_option, value
from kit.cli.options import competition_arg, competition_option, competition_positional
from kit.train.options import DIM_MAX

SEED_HELP = "Seed of weights, batches and augmentation (0 .. 2**32 - 1; default: the config's, else 0)."
RESUME_HELP = "Continue the run in <out>/checkpoints/last.pt (same options; --epochs may grow)."
OVERWRITE_HELP = ("Start again where <out> holds an interrupted run or a finished model (deletes only the files kit "
                  "wrote there).")


@app.command("pretrain")
def pretrain_command(
    competition: Path = competition_positional(),
    competition_opt: Path = competition_option("Competition folder (its images.npz is the training set)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    config: Path = typer.Option(None, "--config", help="YAML file whose `pretrain:` section gives the options."),
    model: str = typer.Option(None, help="Registry name: conv_ae4, conv_ae5, mlp_ae, skip_ae, resnet_ae, cifar_resnet18, timm:<arch>."),
    latent_dim: int = typer.Option(None, min=1, max=DIM_MAX, help=f"Latent dimension (1..{DIM_MAX})."),
    objective: Objective = typer.Option(None, help="Training objective."),
    epochs: int = typer.Option(None),
    batch_size: int = typer.Option(None),
    lr: float = typer.Option(None),
    augment: Augment = typer.Option(None, help="Augmentation preset."),
    rotation_beta: float = typer.Option(None, help="Weight of the rotation-prediction auxiliary loss."),
    seed: int = seed_option(None, SEED_HELP),
    device: Device = typer.Option(None, help="Where to train (auto: cuda when available)."),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Checkpoints every epoch (resumable), per-epoch metrics.csv (train MSE, val clustering ACC with labels).

    Example: kit pretrain -c competitions/digits --model mlp_ae --epochs 20 --objective denoising -o models/digits_ae
    """
    from kit.competition import load_competition
    from kit.train.loop import rerun_hint
    from kit.train.outputs import check_out
    from kit.train.pretrain import pretrain

    competition = competition_arg(competition, competition_opt, "pretrain")
    options = _section(config, "pretrain")
    for key, given in dict(model=model, objective=value(objective), epochs=epochs, batch_size=batch_size, lr=lr,
                           augment=value(augment), rotation_beta=rotation_beta, seed=seed, device=value(device)).items():
        if given is not None:
            options[key] = given
    if latent_dim is not None:
        options["model_kwargs"] = {**(options.get("model_kwargs") or {}), "latent_dim": latent_dim}
    check_out(out, "pretrain", resume=resume, overwrite=overwrite)
    comp = load_competition(competition)
    lab = comp.labeled
    with fresh_out(out, overwrite), rerun_hint("rerun with --resume"):
        path = pretrain(comp.images.images, out, val_images=None if lab is None else lab.images,
                        val_labels=None if lab is None else lab.labels, resume=resume, **options)
    console.print(f"model folder: [bold]{escape(str(path))}[/]")


def fresh_out(out: Path, overwrite: bool):
    """Around the training call: --overwrite first deletes what kit wrote in ``out``; a failure leaves no folder
    that the run made (or emptied) and left empty (kit.train.outputs)."""
    import os

    from kit.train.outputs import discard, no_leftovers

    if overwrite and os.environ.get("RANK", "0") == "0":  # under torchrun one process deletes, the others wait
        discard(out)
    return no_leftovers(out, emptied=overwrite)


def _section(config: Path | None, name: str) -> dict:
    """The named section of a YAML config (a run config, or a file with just that section), validated against the
    stage function's options. A missing, non-UTF-8 or broken file, or one without the section (an empty file, or
    the options at the top level), is one ConfigError: the command never trains its defaults instead."""
    if config is None:
        return {}
    from kit.config import _stage_function, check_signature, read_config_file
    from kit.errors import ConfigError
    from kit.train.options import rename_deprecated

    try:
        data = read_config_file(config)
    except ConfigError as e:
        raise ConfigError(f"--config {e}") from None
    if not isinstance(data, dict) or name not in data:
        flat = isinstance(data, dict) and data and not any(isinstance(v, dict) for v in data.values())
        hint = f" (its options go under a top-level '{name}:' key)" if flat else ""
        raise ConfigError(f"--config {config}: no '{name}' section{hint}")
    section = data[name]
    if section is None:  # `refine:` with nothing under it: the defaults, as asked
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"--config {config}: '{name}' must be a mapping of options, got {type(section).__name__}")
    section = rename_deprecated(name, section)  # finetune.hidden -> finetune.head_hidden, with one line
    check_signature(section, _stage_function(name), name, extra={"model"} if name == "refine" else set())
    return dict(section)
