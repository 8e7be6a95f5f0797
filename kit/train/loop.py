"""Shared training plumbing: devices, uint8 -> float batches, per-epoch seeding, checkpoints."""
from __future__ import annotations

import hashlib
import json
import random
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import torch

from kit.errors import ConfigError, Interrupted
from kit.io import atomic_path

# how a refused checkpoint is left behind: the training commands start again with --overwrite, kit run with --force
START_FRESH = "start fresh with --overwrite instead of --resume (kit run: --force)"


def batch_starts(n: int, batch_size: int) -> range:
    """Where each batch of one pass over ``n`` rows starts. A last batch of one row is left out: BatchNorm cannot
    train on it (that row waits for the next, reshuffled epoch). ``len()`` is the optimizer steps per epoch."""
    return range(0, n - (1 if n % batch_size == 1 else 0), batch_size)


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present; asking for CUDA where there is none is an error, not a silent CPU run."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but this machine has no CUDA GPU; use device auto or cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device must be auto, cpu or cuda[:N], got {device!r}") from None


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 N,H,W,C -> float N,C,H,W in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def seed_epoch(seed: int, epoch: int) -> torch.Generator:
    """Every epoch's randomness derives from (seed, epoch) alone, so a resumed run replays it exactly."""
    s = seed * 100_003 + epoch
    torch.manual_seed(s)
    np.random.seed(s % 2**32)
    random.seed(s)
    return torch.Generator().manual_seed(s)


def rng_state() -> dict:
    """torch, numpy and python RNG states (CUDA too when present) as tensors and plain Python values only,
    so that checkpoints load with ``weights_only=True``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"torch": torch.get_rng_state(),
             "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.cpu().numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def autocast(device: torch.device):
    """bf16 autocast on CUDA; full precision on the CPU (bit-reproducible there)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def keep_checkpoint(epoch: int, every: int) -> bool:
    """Whether epoch ``epoch`` (1-based) gets a checkpoints/epoch_XXX.pt of its own beside last.pt: every
    ``every``-th epoch; ``every`` 0 keeps none (last.pt alone, which a resume needs)."""
    return every > 0 and epoch % every == 0


def save_checkpoint(path: Path, **state) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path, device: torch.device, needs: tuple[str, ...] = ("model",)) -> dict:
    """Tensors and plain values only (``weights_only=True``): a crafted checkpoint cannot run code.

    A truncated, foreign or unsafe file, or one without the ``needs`` keys its caller reads, becomes a one-line
    ConfigError that says how to start fresh.
    """
    from kit.models.registry import load_error_reason

    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # truncated zip, pickle that needs code, not a torch file at all
        raise ConfigError(f"{path}: not a usable kit checkpoint ({load_error_reason(e)}); delete it, or "
                          f"{START_FRESH}") from None
    missing = [key for key in needs if key not in ck] if isinstance(ck, dict) else list(needs)
    if not isinstance(ck, dict) or missing:
        raise ConfigError(f"{path}: not a kit checkpoint (no {', '.join(missing) or 'state'}); delete it, or "
                          f"{START_FRESH}")
    return ck


# Resume plumbing shared by pretrain, finetune and refine: last.pt holds the training state, the epoch reached,
# the metrics so far, the RNG and the options that shaped training, so a resume with other options is refused
# instead of silently mixing two runs.
STATE_KEYS = ("epoch", "metrics", "rng", "options")


def last_checkpoint(out_dir: str | Path) -> Path:
    return Path(out_dir) / "checkpoints" / "last.pt"


def fingerprint(*arrays) -> str:
    """Short hash of the arrays' shapes, dtypes and bytes (None entries count): which data a run trained on."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none;")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def save_state(path: Path, options: dict, *, epoch: int, metrics: list[dict], total: int | None = None,
               **state) -> None:
    """Write last.pt: ``state`` (state dicts and plain values), the epoch reached, metrics, RNG and ``options``;
    ``total``: the epochs the run was asked for (so a checkpoint tells an interrupted run from a finished one)."""
    if total is not None:
        state["epochs_total"] = int(total)
    save_checkpoint(path, **state, epoch=epoch, metrics=metrics, rng=rng_state(),
                    options=json.dumps(options, sort_keys=True, default=str))


def epochs_total(ck: dict) -> int | None:
    """The epochs the checkpoint's run was asked for: recorded by save_state, else (an older checkpoint) what a
    refine checkpoint's options say; None when unknown."""
    if isinstance(ck.get("epochs_total"), int):
        return ck["epochs_total"]
    try:
        options = json.loads(ck["options"])
        return int(options["epochs"]) + (int(options["self_label_epochs"]) if options.get("mode") == "scan" else 0)
    except (KeyError, TypeError, ValueError):
        return None


def open_state(path: Path, resume: bool, device: torch.device, what: str, options: dict,
               needs: tuple[str, ...] = ()) -> dict | None:
    """The checkpoint a resume continues from (None: start fresh), after checking it was trained with ``options``.

    Called before any slow setup, so a resume with other options fails at once with one line naming the option.
    """
    if not resume or not Path(path).exists():
        return None
    ck = load_checkpoint(path, device, needs=STATE_KEYS + tuple(needs))
    saved = json.loads(ck["options"])
    now = json.loads(json.dumps(options, sort_keys=True, default=str))
    changed = [key for key in sorted(set(saved) | set(now)) if saved.get(key) != now.get(key)]
    if changed:
        raise ConfigError(f"{path}: the {run_state(ck, path, what)} {_changes(changed, saved, now, what)}; resume "
                          f"with its options, or {START_FRESH}")
    return ck


def run_state(ck: dict, path: Path, what: str) -> str:
    """'finished refine (3 epochs)' or 'interrupted refine (epoch 2 of 5)': what the checkpoint's run got to."""
    done, total = int(ck["epoch"]), epochs_total(ck)
    if (total is None or done >= total) and (Path(path).parent.parent / "model.json").exists():
        return f"finished {what} ({done} epoch{'s' if done != 1 else ''})"
    return f"interrupted {what} (epoch {done} of {total})" if total is not None else f"interrupted {what}"


def _changes(keys: list[str], saved: dict, now: dict, what: str) -> str:
    """'ran with refine.k=20 (now 5) and refine.seed=0 (now 3)': every option that differs, and the data."""
    named = [f"{what}.{key}={saved.get(key)!r} (now {now.get(key)!r})" for key in keys if key != "data"]
    listed = f"{', '.join(named[:-1])} and {named[-1]}" if len(named) > 1 else "".join(named)
    clauses = [f"ran with {listed}"] if named else []
    if "data" in keys:
        clauses.append("trained on other images, labels or neighbours")
    return " and ".join(clauses)


def restore_state(ck: dict | None, path: Path, what: str, **targets) -> tuple[int, list[dict]]:
    """Load each target's state (a module, optimizer or scheduler) from ``ck[name]`` and the RNG;
    returns (epoch to start from, metrics so far): (0, []) when ``ck`` is None."""
    if ck is None:
        return 0, []
    try:
        for name, target in targets.items():
            target.load_state_dict(ck[name])
    except (RuntimeError, KeyError, ValueError) as e:
        from kit.models.registry import one_line

        raise ConfigError(f"{path}: checkpoint does not fit this {what} ({one_line(str(e))}); {START_FRESH}") from None
    set_rng_state(ck["rng"])
    return int(ck["epoch"]), list(ck["metrics"])


def progress_bar(enabled: bool):
    """A rich bar on a terminal; one plain line per update when output goes to a file or pipe (logs survive)."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if enabled and not sys.stderr.isatty():
        return LineProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    TextColumn("{task.fields[info]}"), disable=not enabled, transient=False)


class LineProgress:
    """The subset of rich.Progress kit uses, printing ``description done/total info (seconds)`` lines to stderr.

    Long counts (per-image progress) print at every 10% only, epochs at every update.
    """

    def __init__(self) -> None:
        self.tasks: dict[int, dict] = {}

    def __enter__(self) -> "LineProgress":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: int | None = None, completed: int = 0, **fields) -> int:
        import time

        tid = len(self.tasks)
        self.tasks[tid] = {"description": description, "total": total, "completed": completed,
                           "t0": time.perf_counter(), "last": -1}
        return tid

    def update(self, task_id: int, advance: int = 0, info: str = "", **_) -> None:
        import sys
        import time

        t = self.tasks[task_id]
        t["completed"] += advance
        total, done = t["total"], t["completed"]
        step = max(1, (total or 0) // 10) if (total or 0) > 200 else 1
        if done // step == t["last"] and done != total:
            return
        t["last"] = done // step
        seconds = time.perf_counter() - t["t0"]
        print(f"{t['description']} {done}/{total} {info} ({seconds:.1f}s)".replace("  ", " "), file=sys.stderr,
              flush=True)


_RERUN: ContextVar[str] = ContextVar("kit_rerun", default="rerun")


@contextmanager
def rerun_hint(how: str):
    """What the Ctrl-C message tells the user to do: `kit run` resumes on a plain rerun (the default, "rerun"),
    the training commands only with --resume (they say "rerun with --resume")."""
    token = _RERUN.set(how)
    try:
        yield
    finally:
        _RERUN.reset(token)


@contextmanager
def resumable(what: str, checkpoint: Path):
    """Turn Ctrl-C into Interrupted("...; rerun to resume from epoch N") so the CLI exits 130 and says how to go on.

    N is read back from the checkpoint a rerun would load, not from a counter: a Ctrl-C that lands between the
    checkpoint's rename and the counter's update would otherwise name an epoch one too early."""
    try:
        yield
    except KeyboardInterrupt:
        path = Path(checkpoint)
        done = int(load_checkpoint(path, torch.device("cpu"), needs=("epoch",))["epoch"]) if path.exists() else 0
        raise Interrupted(f"{what} interrupted; {_RERUN.get()} to resume from epoch {done + 1}") from None
