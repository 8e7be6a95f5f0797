"""`kit extract`: features (latent, logits or raw pixels) for every image of a competition."""
from pathlib import Path

import typer

from kit.cli.app import app, console


@app.command("extract")
def extract_command(
    model: str = typer.Argument(..., help="Model folder, 'raw' (pixels) or 'timm:<arch>'."),
    competition: Path = typer.Argument(..., help="Competition folder."),
    out: Path = typer.Option(..., "--out", "-o", help="features.npz to write (ids + features)."),
    kind: str = typer.Option("latent", help="latent | logits (finetuned models)"),
    batch_size: int = typer.Option(512),
) -> None:
    """Write features for every image in images.npz, aligned with their ids."""
    from kit.competition import load_competition
    from kit.features import load_features
    from kit.train.extract import extract_features

    comp = load_competition(competition)
    path = extract_features(model, comp.images, out, kind=kind, batch_size=batch_size)
    console.print(f"wrote [bold]{path}[/]: {load_features(path)[1].shape}")
