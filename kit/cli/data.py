"""`kit data`: ingest any supported format into one image set file, and inspect it."""
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from kit.cli.app import app, console
from kit.cli.options import parse_options

data_app = typer.Typer(help="Ingest images (npy, folder+CSV, class folders, IDX, torchvision, digits) into an image set.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("ingest")
def ingest(
    kind: str = typer.Argument(..., help=(
        "npy (x, y, ids) | folder_csv (folder, csv, id_column, label_column) | class_tree (root, split, "
        "limit_per_class) | idx (images, labels) | fashion_mnist (split=train|test|all) | torchvision (name, train, "
        "download) | digits | imageset (path) -- the option names for --opt in brackets")),
    opt: list[str] = typer.Option([], "--opt", "-O", help="Source option key=value, repeatable (e.g. -O root=dir -O limit=500)."),
    out: Path = typer.Option(..., "--out", "-o", help="Image set .npz to write."),
) -> None:
    """Read a dataset and write it as one .npz image set (ids, uint8 NHWC images, labels, class names).

    Options every kind takes: limit=N (seeded, stratified subset), seed=S, resize=[H,W], grayscale=true.
    Examples: kit data ingest digits --out digits.npz;
    kit data ingest class_tree -O root=shared:cifar10 -O split=train -O limit_per_class=500 --out cifar.npz
    """
    from kit.data import load_source

    data = load_source({"kind": kind, **parse_options(opt)})
    data.save(out)
    console.print(f"wrote [bold]{out}[/]: {len(data)} images {data.images.shape[1:]}, {data.n_classes} classes")


@data_app.command("info")
def info(path: Path = typer.Argument(..., help="Image set .npz (from `kit data ingest`) or a competition's images.npz.")) -> None:
    """Show size, shape and label counts of an image set."""
    from kit.data import ImageSet

    data = ImageSet.load(path)
    table = Table(title=str(path))
    table.add_column("field")
    table.add_column("value")
    table.add_row("images", str(len(data)))
    table.add_row("shape (H, W, C)", str(data.images.shape[1:]))
    table.add_row("pixel mean", f"{data.images.mean():.1f}")
    names = data.class_names
    table.add_row("classes", f"{data.n_classes}" + (f" ({', '.join(names)})" if names else ""))
    known = np.zeros(len(data), dtype=bool) if data.labels is None else data.labels >= 0  # -1 = unknown
    table.add_row("labeled", str(int(known.sum())))
    table.add_row("unlabeled", str(int((~known).sum())))
    if known.any():
        values, counts = np.unique(data.labels[known], return_counts=True)
        label = lambda v: names[v] if names and 0 <= v < len(names) else str(v)  # noqa: E731
        table.add_row("label counts", ", ".join(f"{label(v)}: {c}" for v, c in zip(values, counts)))
    else:
        table.add_row("labels", "none")
    console.print(table)
