"""`kit extract`: features (latent, logits or raw pixels) for every image of a competition."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import TTA, FeatureKind, value
from kit.cli.options import competition_arg, competition_option, competition_positional


@app.command("extract")
def extract_command(
    model: str = typer.Argument(..., help="Model folder, 'raw' (pixels), 'dsift' or 'timm:<arch>'."),
    competition: Path = competition_positional(),
    competition_opt: Path = competition_option("Competition folder."),
    out: Path = typer.Option(..., "--out", "-o", help="features.npz to write (ids + features)."),
    kind: FeatureKind = typer.Option(FeatureKind.latent, help="latent codes, or class logits (finetuned models)."),
    batch_size: int = typer.Option(512, min=1),
    tta: TTA = typer.Option(TTA.none, help="hflip: mean of the outputs for each image and its mirror image."),
    weights: str = typer.Option(None, help="timm only: weights file (timm checkpoint, state dict, safetensors) "
                                           "or a packaged name such as efficientnet_lite0."),
    pretrained: bool = typer.Option(False, help="timm only: weights from the hub (online only; else use --weights)."),
    input_size: int = typer.Option(None, min=16, help="timm only: images resized to this many pixels a side."),
) -> None:
    """Write features for every image in images.npz, aligned with their ids.

    Example: kit extract models/digits_ae -c competitions/digits -o features.npz
    Example: kit extract timm:tf_efficientnet_lite0 -c competitions/cifar10 --weights efficientnet_lite0 --input-size 160 -o f.npz
    """
    from kit.competition import load_competition
    from kit.features.files import load_features
    from kit.train.extract import extract_features

    comp = load_competition(competition_arg(competition, competition_opt, "extract"))
    path = extract_features(model, comp.images, out, kind=value(kind), batch_size=batch_size, tta=value(tta),
                            weights=weights, pretrained=pretrained, input_size=input_size)
    console.print(f"wrote [bold]{escape(str(path))}[/]: {load_features(path)[1].shape}")
