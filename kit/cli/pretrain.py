"""`kit pretrain`: train an autoencoder or a self-supervised encoder on a competition's images."""
from pathlib import Path

import typer

from kit.cli.app import app, console


@app.command("pretrain")
def pretrain_command(
    competition: Path = typer.Argument(..., help="Competition folder (its images.npz is the training set)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    config: Path = typer.Option(None, help="YAML file whose `pretrain:` section gives the options."),
    model: str = typer.Option(None, help="Registry name: conv_ae4, conv_ae5, mlp_ae, skip_ae, resnet_ae, cifar_resnet18, timm:<arch>."),
    latent_dim: int = typer.Option(None, help="Latent dimension (1..1024)."),
    objective: str = typer.Option(None, help="reconstruction | denoising | simclr"),
    epochs: int = typer.Option(None),
    batch_size: int = typer.Option(None),
    lr: float = typer.Option(None),
    augment: str = typer.Option(None, help="none | light | heavy"),
    rotation_beta: float = typer.Option(None, help="Weight of the rotation-prediction auxiliary loss."),
    seed: int = typer.Option(None),
    device: str = typer.Option(None, help="auto | cpu | cuda"),
    resume: bool = typer.Option(False, "--resume", help="Continue from <out>/checkpoints/last.pt."),
) -> None:
    """Checkpoints every epoch (resumable), per-epoch metrics.csv (train MSE, val clustering ACC with labels)."""
    from kit.competition import load_competition
    from kit.train.pretrain import pretrain

    options = _section(config, "pretrain")
    for key, value in dict(model=model, objective=objective, epochs=epochs, batch_size=batch_size, lr=lr,
                           augment=augment, rotation_beta=rotation_beta, seed=seed, device=device).items():
        if value is not None:
            options[key] = value
    if latent_dim is not None:
        options["model_kwargs"] = {**(options.get("model_kwargs") or {}), "latent_dim": latent_dim}
    comp = load_competition(competition)
    lab = comp.labeled
    path = pretrain(comp.images.images, out, val_images=None if lab is None else lab.images,
                    val_labels=None if lab is None else lab.labels, resume=resume, **options)
    console.print(f"model folder: [bold]{path}[/]")


def _section(config: Path | None, name: str) -> dict:
    """The named section of a YAML config, validated against the stage function's options."""
    if config is None:
        return {}
    import yaml

    from kit.config import _stage_function, check_signature
    from kit.errors import ConfigError

    if not config.exists():
        raise ConfigError(f"{config}: no such file")
    section = (yaml.safe_load(config.read_text()) or {}).get(name) or {}
    check_signature(section, _stage_function(name), name)
    return dict(section)
