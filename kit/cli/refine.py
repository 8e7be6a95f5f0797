"""`kit refine`: neighbour clustering + self-labelling (or FixMatch with labels) on a pretrained encoder or a
fresh network trained from scratch."""
from pathlib import Path

from typing import Optional

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import NeighborFeatures, RefineMode, k_option, seed_option
from kit.cli.options import competition_arg, competition_option, competition_positional, deprecated
from kit.cli.pretrain import OVERWRITE_HELP, SEED_HELP, _section, fresh_out


@app.command("refine")
def refine_command(
    model_dir: Path = typer.Argument(..., help="Model folder from kit pretrain or kit finetune, or a registered "
                                     "model name to train from scratch (e.g. small_cnn; needs --no-freeze)."),
    competition: Path = competition_positional(),
    competition_opt: Path = competition_option("Competition folder (all its images are clustered)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write (encoder + clustering head)."),
    config: Path = typer.Option(None, "--config", help="YAML file whose `refine:` section gives the options."),
    mode: RefineMode = typer.Option(None, help="auto: scan, with labeled.csv's labels in its loss when there are "
                                    "some (semi: cross-entropy + FixMatch instead)."),
    k: int = typer.Option(None, "--neighbors", min=1, help="Neighbours per image (default 20); refine.k in a config."),
    old_k: int = typer.Option(None, "-k", hidden=True, min=1),  # deprecated: -k is the cluster count in `kit cluster`
    epochs: int = typer.Option(None, help="SCAN (or semi-supervised) epochs."),
    self_label_epochs: int = typer.Option(None, help="Self-labelling epochs after SCAN."),
    n_clusters: Optional[str] = typer.Option(None, metavar="<int|auto>", help="Clusters (default: the competition's "
                                             "class count; auto: chosen from the data)."),
    freeze: bool = typer.Option(None, "--freeze/--no-freeze", help="Keep the encoder frozen (default) or train it."),
    neighbor_features: NeighborFeatures = typer.Option(None, help="Where neighbours are mined: the model's features "
                                                       "(default), raw pixels or dense SIFT (for a fresh model)."),
    seed: int = seed_option(None, SEED_HELP),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in <out>/checkpoints/last.pt (same "
                                "options)."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Writes a model folder whose `kit extract --kind logits` gives class scores, and probabilities.npz.

    Example: kit refine runs/fm/pretrain -c competitions/fm --neighbors 20 --epochs 100 -o runs/fm/refine

    From scratch: kit refine small_cnn -c competitions/fm --no-freeze --neighbor-features dsift -o runs/fm/refine
    """
    from kit.competition import load_competition
    from kit.pipeline.stages import refine_stage
    from kit.train.loop import rerun_hint
    from kit.train.outputs import check_out

    competition = competition_arg(competition, competition_opt, "refine")
    if old_k is not None:
        deprecated("refine", "-k", "--neighbors", "refine.k in a config; -k is deprecated in every command")
        k = old_k if k is None else k
    options = _section(config, "refine")
    for key, value in dict(mode=mode.value if mode else None, k=k, epochs=epochs, self_label_epochs=self_label_epochs,
                           n_clusters=None if n_clusters is None else k_option(n_clusters, "--n-clusters"),
                           freeze_encoder=freeze, seed=seed,
                           neighbor_features=neighbor_features.value if neighbor_features else None).items():
        if value is not None:
            options[key] = value
    _check_model(options.pop("model", None), model_dir, config)  # the MODEL argument names the network
    # refine_stage resumes whenever <out> holds a checkpoint: without --resume there must be none (or --overwrite)
    check_out(out, "refine", resume=resume, overwrite=overwrite, source=model_dir)
    comp = load_competition(competition)
    seed_value = options.pop("seed", 0)
    with fresh_out(out, overwrite), rerun_hint("rerun with --resume"):
        path = refine_stage(comp, model_dir, None, options, seed_value, out)
    console.print(f"model folder: [bold]{escape(str(path))}[/]")


def _check_model(configured, model_dir: Path, config: Path | None) -> None:
    """A config's refine.model must name the network the MODEL argument names (it is `kit run`'s way of training
    a fresh one): two different networks are one ConfigError, not a silent pick of one."""
    from kit.errors import ConfigError

    if configured is None:
        return
    named = Path(str(configured))
    same = str(configured) == str(model_dir) or (
        named.exists() and model_dir.exists() and named.resolve() == model_dir.resolve())
    if not same:
        raise ConfigError(f"--config {config}: refine.model is {configured!r} but the MODEL argument is "
                          f"{str(model_dir)!r}; they disagree: drop refine.model from the config, or give "
                          f"{configured} as MODEL")
