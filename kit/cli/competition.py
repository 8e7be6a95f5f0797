"""`kit competition`: build a local Kaggle-style competition (hidden Public/Private solution) or import a download."""
from pathlib import Path

import typer

from kit.cli.app import app, console
from kit.cli.choices import seed_option
from kit.cli.options import source_options
from kit.cli.output import FORMAT_HELP, Format, print_rows
from kit.overrides import parse_value, split_top_level

OVERWRITE_HELP = ("Replace an existing folder kit made, with any files you put in it (they are named on stderr); "
                  "a folder kit did not make is never replaced.")
comp_app = typer.Typer(help="Build and inspect local competitions.", no_args_is_help=True)
app.add_typer(comp_app, name="competition")


@comp_app.command("make")
def make(
    out: Path = typer.Option(..., "--out", "-o", help="Competition folder to create."),
    name: str = typer.Option(None, help="Competition name (default: the folder name)."),
    source: str = typer.Option(None, metavar="KIND[:KEY=VALUE,...]", help="Source kind (digits, fashion_mnist, "
                               "class_tree, npy, ...), its options after ':' or as -O."),
    opt: list[str] = typer.Option([], "--opt", "-O", help="Source option key=value, repeatable."),
    source_file: Path = typer.Option(None, help="Labeled image set .npz from `kit data ingest` (instead of --source)."),
    type: str = typer.Option("label", "--type", help="label | binary | pairs"),
    labels_per_class: int = typer.Option(0, help="Labeled images per class given to participants (0: pure clustering)."),
    public_fraction: float = typer.Option(0.3, help="Share of submission rows on the public leaderboard."),
    n_images: int = typer.Option(None, help="Seeded, class-stratified subset of this many images."),
    groups: str = typer.Option(None, help='Binary: two groups of classes, "cat,dog;car,truck" (default for CIFAR-10: animals;vehicles).'),
    n_pairs: int = typer.Option(None, help="Pairs: number of pairs (default: number of images)."),
    class_ratio: float = typer.Option(1.0, "--class-ratio", help="Imbalanced classes: sizes fall geometrically by "
                                      "class index, class 0 the largest, the last R times smaller (1: as the source)."),
    seed: int = seed_option(0, "Seed for ids, subsets, labeled images and the Public/Private split (0 .. 2**32 - 1)."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Write images.npz, sample_submission.csv, optional labeled.csv/pairs.csv and hidden/solution.csv.

    Example: kit competition make --source digits --labels-per-class 5 --out competitions/digits_5
    """
    from kit.competition import make_competition
    from kit.competition.folder import check_output, foreign_files
    from kit.data import ImageSet, load_source
    from kit.errors import ConfigError

    if (source is None) == (source_file is None):
        raise ConfigError("give exactly one of --source KIND or --source-file SET.npz")
    from kit.competition.make import check_class_ratio

    check_class_ratio(class_ratio)  # before loading the source: a bad value fails at once
    check_output(out, overwrite)  # before loading: never the current folder, only a kit folder replaced
    foreign = foreign_files(out) if overwrite else []
    if source_file and opt:
        raise ConfigError("--opt applies to --source only; ingest with `kit data ingest` options instead")
    if source_file:
        data, info = ImageSet.load(source_file), {"file": str(source_file)}
    else:
        info = source_options(source, opt, "--source")  # fashion_mnist:split=test, or -O split=test
        data = load_source(info)
    group_list = _parse_groups(groups) if groups else None
    path = make_competition(data, out, type, name=name, labels_per_class=labels_per_class,
                            public_fraction=public_fraction, n_images=n_images, groups=group_list, n_pairs=n_pairs,
                            seed=seed, overwrite=overwrite, source_info=info, class_ratio=class_ratio,
                            delete_foreign=overwrite)
    _say_deleted(out, foreign)
    _show(path)


@comp_app.command("import")
def import_(
    src: Path = typer.Argument(..., help="Kaggle-style download: image folders or .npy arrays + sample_submission.csv."),
    out: Path = typer.Option(..., "--out", "-o", help="Competition folder to create."),
    type: str = typer.Option(None, "--type", help="label | binary | pairs (default: from the sample's columns)."),
    n_classes: int = typer.Option(None, "--n-classes", help="Number of classes (needed when there are no labels)."),
    images: list[Path] = typer.Option([], "--images", help="Image folder or .npy array to use, repeatable."),
    labels: Path = typer.Option(None, "--labels", help="CSV of id,label for the labeled images."),
    sample: Path = typer.Option(None, "--sample", help="The sample submission CSV."),
    solution: Path = typer.Option(None, "--solution", help="An id,label,Usage answer file to keep in hidden/."),
    resize: str = typer.Option(None, "--resize", help='Bring every image to one size, "H,W".'),
    extras: bool = typer.Option(True, "--extras/--no-extras",
                                help="Keep images neither in the sample nor labeled (for pretraining)."),
    name: str = typer.Option(None, help="Competition name (default: the folder name)."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Turn a Kaggle-style download into a competition folder for `kit run` / `kit submit` (no hidden solution).

    Example: kit competition import downloads/my-comp --n-classes 10 -o competitions/my-comp
    """
    from kit.competition import import_competition
    from kit.competition.folder import check_output, foreign_files
    from kit.competition.importer import import_replacing
    from kit.errors import ConfigError

    size = None
    if resize:
        try:
            value = parse_value(resize)  # [32, 32], as resize=[H,W] of every source; or "32,32" / "32x32"
            parts = value if isinstance(value, list) else split_top_level(resize.replace("x", ","))
            size = [int(v) for v in parts]
            if len(size) != 2 or any(isinstance(v, bool) or int(v) != float(v) for v in parts):
                raise ValueError
        except (ValueError, TypeError):
            raise ConfigError(f'--resize must look like "H,W" (or [H, W]), got {resize!r}') from None
    options = dict(type=type, n_classes=n_classes, images=images, labels=labels, sample=sample, solution=solution,
                   resize=size, extras=extras, name=name)
    if overwrite:  # asked for: files kit did not write in the folder go with it, and are named
        check_output(out, overwrite)
        foreign = foreign_files(out)
        path = import_replacing(src, out, **options)
        _say_deleted(out, foreign)
    else:
        path = import_competition(src, out, **options)
    _show(path)


def _say_deleted(out: Path, foreign: list[str]) -> None:
    """One line on stderr naming the files kit did not write that --overwrite deleted with the old folder."""
    if foreign:
        from rich.markup import escape

        from kit.competition.folder import describe_files

        console.print(escape(f"--overwrite: deleted {len(foreign)} file{'s' if len(foreign) > 1 else ''} kit did not "
                             f"write with the old {out}: {describe_files(foreign)}"), soft_wrap=True)


def _parse_groups(text: str) -> list[list[str]]:
    """"cat,dog;car,truck" -> [["cat", "dog"], ["car", "truck"]]."""
    from kit.errors import ConfigError

    groups = [split_top_level(g) for g in text.split(";")]  # the one comma splitter; ';' separates the two
    if len(groups) != 2 or not all(groups):
        raise ConfigError(f'--groups must be two non-empty comma lists separated by ";", got {text!r}')
    return groups


@comp_app.command("info")
def info(path: Path = typer.Argument(..., help="Competition folder."),
         fmt: Format = typer.Option(None, "--format", help=FORMAT_HELP, case_sensitive=False,
                                    show_default=False)) -> None:
    """Show the competition's type, metric and sizes (to stdout: `kit competition info DIR --format tsv | cut -f2`)."""
    _show(path, fmt)


def _show(path: Path, fmt: "Format | None" = None) -> None:
    """The facts table: to stdout for `kit competition info` (``fmt`` given or not), after make / import too."""
    from kit.competition import load_competition

    comp = load_competition(path)
    rows = [
        ("folder", str(comp.dir)), ("type", comp.type), ("metric", comp.metric),
        ("classes", f"{comp.n_classes}" + (f" ({', '.join(comp.class_names)})" if comp.class_names else "")),
        ("images", f"{len(comp.images)} x {comp.images.images.shape[1:]}"),
        ("labeled images", str(0 if comp.labeled is None else len(comp.labeled))),
        ("submission rows", str(len(comp.sample_submission))),
        ("images to predict", str(len(comp.image_ids_to_predict))),
        ("hidden solution", "present" if comp.solution_path.exists() else "absent"),
    ]
    print_rows(["field", "value"], rows, fmt, title=f"competition {comp.name}")
    note = comp.unlabeled_note()
    if note:
        from rich.markup import escape

        console.print(f"[yellow]{escape(note)}[/]", soft_wrap=True)
