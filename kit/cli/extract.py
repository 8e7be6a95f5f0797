"""`kit extract`: features (latent, logits or raw pixels) for every image of a competition."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import FeatureKind, value


@app.command("extract")
def extract_command(
    model: str = typer.Argument(..., help="Model folder, 'raw' (pixels) or 'timm:<arch>'."),
    competition: Path = typer.Argument(..., help="Competition folder."),
    out: Path = typer.Option(..., "--out", "-o", help="features.npz to write (ids + features)."),
    kind: FeatureKind = typer.Option(FeatureKind.latent, help="latent codes, or class logits (finetuned models)."),
    batch_size: int = typer.Option(512, min=1),
) -> None:
    """Write features for every image in images.npz, aligned with their ids.

    Example: kit extract models/digits_ae competitions/digits -o features.npz
    """
    from kit.competition import load_competition
    from kit.features import load_features
    from kit.train.extract import extract_features

    comp = load_competition(competition)
    path = extract_features(model, comp.images, out, kind=value(kind), batch_size=batch_size)
    console.print(f"wrote [bold]{escape(str(path))}[/]: {load_features(path)[1].shape}")
