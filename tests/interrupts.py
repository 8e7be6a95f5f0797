"""Simulate a Ctrl-C during training: the real write happens, then KeyboardInterrupt, as if the user pressed
Ctrl-C right after that epoch's metrics or checkpoint reached the disk."""
import importlib
from types import ModuleType


def crash_after_epoch(monkeypatch, module: ModuleType | str, epoch: int | None = None,
                      through: str = "write_csv") -> None:
    """Patch ``module.<through>`` so it calls the real function, then raises KeyboardInterrupt once ``epoch`` is
    written (``epoch`` None: the first write).

    ``through``: "write_csv" (``(path, df)``; the epochs written are ``len(df)``, the metrics so far) or "save_state"
    (``(path, options, *, epoch, **state)``; the epoch the checkpoint records). ``module``: the training module whose
    name is patched (the module object, or its import name), e.g. kit.train.pretrain, kit.train.finetune,
    kit.refine.train. ``monkeypatch``: the test's fixture, or the ``m`` of ``with monkeypatch.context() as m:`` to
    end the patch before resuming.
    """
    if through not in ("write_csv", "save_state"):
        raise ValueError(f"through must be 'write_csv' or 'save_state', not {through!r}")
    if isinstance(module, str):
        module = importlib.import_module(module)
    real = getattr(module, through)
    at = epoch

    if through == "write_csv":
        def crash(path, df):
            real(path, df)
            if at is None or len(df) == at:
                raise KeyboardInterrupt
    else:  # save_state
        def crash(path, options, *, epoch, **state):
            real(path, options, epoch=epoch, **state)
            if at is None or epoch == at:
                raise KeyboardInterrupt
    monkeypatch.setattr(module, through, crash)
