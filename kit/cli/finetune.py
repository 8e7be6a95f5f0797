"""`kit finetune`: classifier head on a pretrained encoder with the competition's few labels."""
from pathlib import Path

import typer

from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import seed_option
from kit.cli.options import competition_arg, competition_option, competition_positional
from kit.cli.pretrain import OVERWRITE_HELP, RESUME_HELP, SEED_HELP, _section, fresh_out


@app.command("finetune")
def finetune_command(
    model_dir: Path = typer.Argument(..., help="Pretrained model folder."),
    competition: Path = competition_positional(),
    competition_opt: Path = competition_option("Competition folder with labeled.csv."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write (encoder + head)."),
    config: Path = typer.Option(None, "--config", help="YAML file whose `finetune:` section gives the options."),
    freeze: bool = typer.Option(None, "--freeze/--no-freeze", help="Keep the encoder frozen (default) or train it too."),
    epochs: int = typer.Option(None),
    lr: float = typer.Option(None),
    seed: int = seed_option(None, SEED_HELP),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Cross-entropy on logits; holds out part of the labels for validation accuracy (metrics.csv); checkpoints
    every epoch (resumable).

    Example: kit finetune models/digits_ae -c competitions/digits_5 --epochs 20 -o models/digits_ft
    """
    from kit.competition import load_competition
    from kit.errors import DataError
    from kit.train.finetune import finetune
    from kit.train.loop import rerun_hint
    from kit.train.outputs import check_out

    competition = competition_arg(competition, competition_opt, "finetune")
    options = _section(config, "finetune")
    for key, value in dict(freeze_encoder=freeze, epochs=epochs, lr=lr, seed=seed).items():
        if value is not None:
            options[key] = value
    check_out(out, "finetune", resume=resume, overwrite=overwrite, source=model_dir)
    comp = load_competition(competition)
    if comp.labeled is None or not len(comp.labeled):
        raise DataError(f"{competition} has no labeled images (labeled.csv): nothing to finetune on")
    options.setdefault("n_classes", comp.n_classes)
    with fresh_out(out, overwrite), rerun_hint("rerun with --resume"):
        path = finetune(model_dir, comp.labeled.images, comp.labeled.labels, out, resume=resume, **options)
    console.print(f"model folder: [bold]{escape(str(path))}[/]")
