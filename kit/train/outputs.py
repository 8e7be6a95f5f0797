"""The --out folder of `kit pretrain`, `kit finetune` and `kit refine`: what is in it before a run, and what a failed
run leaves behind.

A plain rerun never replaces kit's work without a word: a folder holding an interrupted run's checkpoint is
continued only with --resume and started again only with --overwrite; a finished model is replaced only with
--overwrite. --overwrite deletes only the files these commands write (model.pt, model.json, metrics.csv,
probabilities.npz and checkpoints/), never anything else in the folder. A run that fails leaves no folder behind
that it created and left empty. (`kit run` resumes its own stage folders on a plain rerun: kit.pipeline.)
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kit.errors import ConfigError
from kit.io import check_dir_path

MODEL_FILES = ("model.pt", "model.json", "metrics.csv", "probabilities.npz")  # what the training commands write
CHECKPOINTS = "checkpoints"
_CHECKPOINT_FILE = re.compile(r"(last|epoch_\d+)\.pt|\.(last|epoch_\d+)\.pt\..*\.tmp\.pt")


def check_out(out: Path, what: str, *, resume: bool, overwrite: bool, source: Path | str | None = None) -> None:
    """Before any work: ``out`` can be the output folder, and a plain run would not replace an interrupted run's
    checkpoint or a finished model in it (one ConfigError saying which flag to add)."""
    check_dir_path(out, "--out")
    if resume and overwrite:
        raise ConfigError("--resume continues the run in --out and --overwrite starts it again: give one of them")
    if source is not None and Path(source).exists() and out.exists() and out.resolve() == Path(source).resolve():
        raise ConfigError(f"--out {out} is the model folder {what} starts from; write to another folder")
    if overwrite:
        return
    state = folder_state(out)
    if state is None:
        return
    kind, done, total = state
    if resume:
        if done is None and not (out / CHECKPOINTS / "last.pt").exists():
            raise ConfigError(f"{out} holds a finished model but no checkpoints/last.pt to resume from: "
                              "add --overwrite (instead of --resume) to replace it, or choose another --out")
        return
    if kind == "interrupted":
        at = f"epoch {done} of {total}" if total else f"epoch {done}" if done is not None else "checkpoints/last.pt"
        raise ConfigError(f"{out} holds an interrupted run ({at}): add --resume to continue it, "
                          "or --overwrite to start again")
    more = " (or --resume with more --epochs to train it further)" if what != "refine" else ""
    raise ConfigError(f"{out} holds a finished model: add --overwrite to replace it{more}, or choose another --out")


def folder_state(out: Path) -> tuple[str, int | None, int | None] | None:
    """("interrupted" | "finished", epochs done, epochs asked for) of kit's work in ``out``; None when there is
    none. Done and asked are None where the checkpoint does not say (an unreadable one, or no checkpoint)."""
    last = out / CHECKPOINTS / "last.pt"
    finished = (out / "model.json").exists() or (out / "model.pt").exists()
    if not last.exists():
        return ("finished", None, None) if finished else None
    done, total = checkpoint_progress(last)
    if total is not None and done is not None:
        return ("finished" if done >= total and finished else "interrupted"), done, total
    return ("finished" if finished else "interrupted"), done, total


def checkpoint_progress(last: Path) -> tuple[int | None, int | None]:
    """(epochs done, epochs the run was asked for) from a checkpoint; (None, None) when it cannot be read."""
    import torch

    from kit.train.loop import epochs_total, load_checkpoint

    try:
        ck = load_checkpoint(last, torch.device("cpu"), needs=("epoch",))
    except ConfigError:
        return None, None
    return int(ck["epoch"]), epochs_total(ck)


def discard(out: Path) -> None:
    """--overwrite: delete what the training commands wrote in ``out`` (and nothing else)."""
    from kit.io import safe_rmtree

    for name in MODEL_FILES:
        path = out / name
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
    checkpoints = out / CHECKPOINTS
    if checkpoints.is_dir() and not checkpoints.is_symlink():
        foreign = [p.name for p in checkpoints.iterdir() if not _CHECKPOINT_FILE.fullmatch(p.name)]
        if foreign:
            raise ConfigError(f"{checkpoints} holds files kit did not write ({', '.join(sorted(foreign)[:3])}); "
                              "--overwrite deletes only kit's: move them away first")
        safe_rmtree(checkpoints, marker=[p.name for p in checkpoints.iterdir()] or "last.pt")  # kit's only
    elif os.path.lexists(checkpoints):
        safe_rmtree(checkpoints, marker="last.pt")


@contextmanager
def no_leftovers(out: Path, emptied: bool = False) -> Iterator[None]:
    """On any failure (a Ctrl-C included), remove ``out`` and ``out``/checkpoints where this run created them, or
    emptied ``out`` (``emptied``: --overwrite), and left them empty: nothing half-made stays behind. A checkpoint
    written before the failure stays (it is what --resume continues from)."""
    created = [p for p in (out, out / CHECKPOINTS) if not os.path.lexists(p)]
    if emptied and out not in created:
        created.insert(0, out)
    try:
        yield
    except BaseException:
        for path in reversed(created):  # the inner folder first
            try:
                if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                    path.rmdir()
            except OSError:
                pass
        raise
