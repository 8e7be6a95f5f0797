"""What makes a CPU run repeat itself, set once at the start of `kit run` and recorded beside the submission.

* A fixed torch thread count: ``KIT_THREADS`` when set, else the count torch chose at start-up (the machine's
  cores, or ``OMP_NUM_THREADS``). The count is recorded, and `make reproduce` reruns with the recorded one.
* ``torch.use_deterministic_algorithms(True, warn_only=True)`` on a CPU-only machine: the few CPU kernels with a
  nondeterministic path then take the deterministic one (or warn). Left off when CUDA is present, where it needs
  ``CUBLAS_WORKSPACE_CONFIG`` and costs speed.

What this cannot fix: another CPU computes other floats. oneDNN, MKL, OpenBLAS and torch's own kernels pick
AVX-512 or AVX2 code at run time, and their reductions add in another order, so an AVX2-only machine trains to
slightly different weights (bench/reproducibility.md measures how far). ``cpu_info`` records which ISA a run had.
"""
from __future__ import annotations

import os
from pathlib import Path

_STARTUP_THREADS: int | None = None
ISA_ENV = ("ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS",
           "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "FAISS_OPT_LEVEL")


def thread_count() -> int:
    """KIT_THREADS when set (a positive int), else the thread count torch had before kit changed it."""
    global _STARTUP_THREADS
    import torch

    if _STARTUP_THREADS is None:
        _STARTUP_THREADS = torch.get_num_threads()
    raw = os.environ.get("KIT_THREADS", "").strip()
    if not raw:
        return _STARTUP_THREADS
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        from kit.errors import ConfigError

        raise ConfigError(f"KIT_THREADS must be a positive integer, got {raw!r}")
    return n


def configure_determinism() -> dict:
    """Fix the thread count and, on a CPU-only machine, ask torch for deterministic kernels; returns what was set
    (plus the CPU it ran on) for the submission's metadata."""
    import torch

    threads = thread_count()
    torch.set_num_threads(threads)
    deterministic = not torch.cuda.is_available()
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return {"threads": threads, "deterministic_algorithms": deterministic, **cpu_info()}


def cpu_info() -> dict:
    """The CPU model, the widest vector ISA torch uses on it, and any environment variable that caps the ISA."""
    import torch

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # older torch
        capability = ""
    caps = {k: os.environ[k] for k in ISA_ENV if os.environ.get(k)}
    return {"cpu": model, "cpu_capability": capability, **({"isa_env": caps} if caps else {})}
