"""`kit data`: ingest any supported format into one image set file, and inspect it."""
from pathlib import Path

import numpy as np
import typer

from kit.cli.app import app, console
from kit.cli.options import source_options
from kit.cli.output import FORMAT_HELP, Format, print_rows

data_app = typer.Typer(help="Ingest images (npy, folder+CSV, class folders, IDX, torchvision, digits) into an image set.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("ingest")
def ingest(
    kind: str = typer.Argument(..., metavar="KIND[:KEY=VALUE,...]", help=(
        "npy (x, y, ids) | folder_csv (folder, csv, id_column, label_column) | class_tree (root, split, "
        "limit_per_class) | idx (images, labels) | fashion_mnist (split=train|test|all) | torchvision (name, train, "
        "download) | digits | imageset (path) -- the option names in brackets, after ':' or as -O")),
    opt: list[str] = typer.Option([], "--opt", "-O", help="Source option key=value, repeatable (e.g. -O root=dir -O limit=500)."),
    out: Path = typer.Option(..., "--out", "-o", help="Image set .npz to write."),
) -> None:
    """Read a dataset and write it as one .npz image set (ids, uint8 NHWC images, labels, class names).

    Options every kind takes: limit=N (seeded, stratified subset), seed=S, resize=[H,W], grayscale=true.
    Examples: kit data ingest digits --out digits.npz;
    kit data ingest class_tree -O root=shared:cifar10 -O split=train -O limit_per_class=500 --out cifar.npz
    """
    from kit.data import load_source

    data = load_source(source_options(kind, opt, "KIND"))  # fashion_mnist:split=test, or -O split=test
    data.save(out)
    console.print(f"wrote [bold]{out}[/]: {len(data)} images {data.images.shape[1:]}, {data.n_classes} classes")


@data_app.command("info")
def info(path: Path = typer.Argument(..., help="Image set .npz (from `kit data ingest`) or a competition's images.npz."),
         fmt: Format = typer.Option(None, "--format", help=FORMAT_HELP, case_sensitive=False,
                                    show_default=False)) -> None:
    """Show size, shape and label counts of an image set (to stdout)."""
    from kit.data import ImageSet

    data = ImageSet.load(path)
    names = data.class_names
    known = np.zeros(len(data), dtype=bool) if data.labels is None else data.labels >= 0  # -1 = unknown
    rows = [("images", str(len(data))), ("shape (H, W, C)", str(data.images.shape[1:])),
            ("pixel mean", f"{data.images.mean():.1f}"),
            ("classes", f"{data.n_classes}" + (f" ({', '.join(names)})" if names else "")),
            ("labeled", str(int(known.sum()))), ("unlabeled", str(int((~known).sum())))]
    if known.any():
        values, counts = np.unique(data.labels[known], return_counts=True)
        label = lambda v: names[v] if names and 0 <= v < len(names) else str(v)  # noqa: E731
        rows.append(("label counts", ", ".join(f"{label(v)}: {c}" for v, c in zip(values, counts))))
    else:
        rows.append(("labels", "none"))
    print_rows(["field", "value"], rows, fmt, title=str(path))
