"""`kit pretrain`: train an autoencoder or a self-supervised encoder on a competition's images."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import Augment, Device, Objective, value


@app.command("pretrain")
def pretrain_command(
    competition: Path = typer.Argument(..., help="Competition folder (its images.npz is the training set)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    config: Path = typer.Option(None, "--config", help="YAML file whose `pretrain:` section gives the options."),
    model: str = typer.Option(None, help="Registry name: conv_ae4, conv_ae5, mlp_ae, skip_ae, resnet_ae, cifar_resnet18, timm:<arch>."),
    latent_dim: int = typer.Option(None, help="Latent dimension (1..1024)."),
    objective: Objective = typer.Option(None, help="Training objective."),
    epochs: int = typer.Option(None),
    batch_size: int = typer.Option(None),
    lr: float = typer.Option(None),
    augment: Augment = typer.Option(None, help="Augmentation preset."),
    rotation_beta: float = typer.Option(None, help="Weight of the rotation-prediction auxiliary loss."),
    seed: int = typer.Option(None),
    device: Device = typer.Option(None, help="Where to train (auto: cuda when available)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from <out>/checkpoints/last.pt (same options; "
                                "--epochs may grow)."),
) -> None:
    """Checkpoints every epoch (resumable), per-epoch metrics.csv (train MSE, val clustering ACC with labels).

    Example: kit pretrain competitions/digits --model mlp_ae --epochs 20 --objective denoising -o models/digits_ae
    """
    from kit.competition import load_competition
    from kit.train.loop import rerun_hint
    from kit.train.pretrain import pretrain

    options = _section(config, "pretrain")
    for key, given in dict(model=model, objective=value(objective), epochs=epochs, batch_size=batch_size, lr=lr,
                           augment=value(augment), rotation_beta=rotation_beta, seed=seed, device=value(device)).items():
        if given is not None:
            options[key] = given
    if latent_dim is not None:
        options["model_kwargs"] = {**(options.get("model_kwargs") or {}), "latent_dim": latent_dim}
    comp = load_competition(competition)
    lab = comp.labeled
    with rerun_hint("rerun with --resume"):  # a plain rerun starts over
        path = pretrain(comp.images.images, out, val_images=None if lab is None else lab.images,
                        val_labels=None if lab is None else lab.labels, resume=resume, **options)
    console.print(f"model folder: [bold]{escape(str(path))}[/]")


def _section(config: Path | None, name: str) -> dict:
    """The named section of a YAML config, validated against the stage function's options."""
    if config is None:
        return {}
    import yaml

    from kit.config import _stage_function, check_signature
    from kit.errors import ConfigError

    if not config.exists():
        raise ConfigError(f"--config {config}: no such file")
    section = (yaml.safe_load(config.read_text()) or {}).get(name) or {}
    check_signature(section, _stage_function(name), name, extra={"model"} if name == "refine" else set())
    return dict(section)
