"""`kit experiment FILE... [KEY=VALUE]...`: a course experiment (several runs, side-by-side figures) as one page."""
from pathlib import Path

import typer
from rich.markup import escape

from kit.cli.app import app, console


@app.command("experiment")
def experiment_command(
    files: list[Path] = typer.Argument(..., metavar="FILE... [KEY=VALUE]...",
                                       help="Experiment YAML files (see configs/experiments/), then optional dotted "
                                            "overrides of every file's base run config, e.g. pretrain.epochs=1."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Pages go to OUT/<name>/index.html; OUT/index.html links them."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Where the experiment's run folders go."),
    private: bool = typer.Option(False, "--private", help="Show private scores in the tables (hidden by default, as on Kaggle)."),
    reveal_public: bool = typer.Option(False, "--reveal-public", help="Colour the label figures (embeddings, confusion "
                                       "matrices) by the PUBLIC rows of hidden/solution.csv, image by image, which "
                                       "Kaggle never shows; default: the competition's labeled.csv only."),
) -> None:
    """Run each experiment's parts (sweeps or named variants of one base config), draw its figures, write its page.

    Runs are cached like `kit run` and shared between parts; an interrupted experiment resumes where it stopped.
    Every file and part is validated before anything trains.

    Example: kit experiment configs/experiments/*.yaml --private
    """
    from kit.errors import ConfigError
    from kit.experiments import load_experiment, run_experiment, write_index
    from kit.io import check_dir_path

    check_dir_path(out, "--out")  # first: a file there fails before any file is read or competition built
    is_override = [("=" in str(f) and not f.exists()) for f in files]
    paths = [f for f, o in zip(files, is_override) if not o]
    overrides = [str(f) for f, o in zip(files, is_override) if o]
    if not paths:
        raise ConfigError("kit experiment needs at least one experiment file")
    experiments = [load_experiment(p, overrides) for p in paths]  # all files checked before any training
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise ConfigError(f"experiment names repeat ({names}): each page needs its own folder")
    for exp in experiments:
        page = run_experiment(exp, out=out, runs_dir=runs_dir, private=private, console=console,
                              reveal_public=reveal_public)
        console.print(f"page: [bold]{escape(str(page))}[/]")
    console.print(f"index: [bold]{escape(str(write_index(out)))}[/]")
