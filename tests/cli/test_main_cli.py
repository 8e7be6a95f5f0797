"""The real entry point follows Click conventions: usage errors exit 2 with usage + one 'Error:' line and no
traceback, -h is --help, --version prints kit's version, KitError is one 'error:' line, Ctrl-C exits 130."""
import os
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import pytest
import yaml

from kit.cli.main import main as kit_main
from kit.errors import Interrupted

ENV = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1", "COLUMNS": "200"}
COMMANDS = ["pretrain", "finetune", "refine", "extract", "reduce", "cluster", "submit", "score", "blend", "leaderboard", "report",
            "run"]


def kit(*args, cwd=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=300, **kwargs)


@pytest.mark.parametrize("args,message", [
    (["run"], "Missing argument 'CONFIG'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["run", "x.yaml", "--bogus"], "No such option: --bogus"),
    (["pretrain", "-c", "nowhere", "-o", "m", "--epochs", "abc"], "Invalid value for '--epochs'"),
    (["pretrain", "-c", "nowhere", "-o", "m", "--objective", "magic"], "'magic' is not one of 'reconstruction', 'denoising', 'simclr'"),
    (["pretrain", "-c", "nowhere", "-o", "m", "--augment", "huge"], "'huge' is not one of 'none', 'light', 'heavy'"),
    (["pretrain", "-c", "nowhere", "-o", "m", "--device", "tpu"], "'tpu' is not one of 'auto', 'cpu', 'cuda'"),
    (["cluster", "nowhere.npz", "-o", "c.npz", "--method", "dbscan"], "'dbscan' is not one of 'agglomerative'"),
    (["cluster", "nowhere.npz", "-o", "c.npz", "--mapping", "best"], "'best' is not one of 'majority', 'hungarian'"),
    (["extract", "raw", "-c", "nowhere", "-o", "f.npz", "--kind", "pixels"], "'pixels' is not one of 'latent', 'logits'"),
    (["cluster", "nowhere.npz", "--method", "kmeans"], "Missing option '--out'"),
    (["leaderboard", "--top", "-1"], "Invalid value for '--top'"),
])
def test_usage_errors_exit_2_with_usage_and_one_error_line(tmp_path, args, message):
    proc = kit(*args, cwd=tmp_path)
    err = proc.stderr
    assert proc.returncode == 2, err
    assert message in err and "Traceback" not in err + proc.stdout
    assert err.startswith("Usage: kit ") and "Try 'kit" in err and "-h' for help." in err
    assert err.count("Error:") == 1
    assert list(tmp_path.iterdir()) == []  # failed before doing anything


def test_kit_alone_shows_help_and_exits_2():
    proc = kit()
    assert proc.returncode == 2
    assert "Usage: kit [OPTIONS] COMMAND" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["run", "-h"], ["competition", "-h"], ["competition", "make", "-h"]])
def test_dash_h_is_help(args):
    proc = kit(*args)
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: kit {' '.join(args[:-1])}".rstrip() in proc.stdout


def test_every_command_help_has_an_example_and_lists_choices():
    for command in COMMANDS:
        proc = kit(command, "-h")
        assert proc.returncode == 0 and "Example:" in proc.stdout, command
        # -o/--out is what a command creates; score and run append to a log / keep run folders (their own options),
        # leaderboard writes nothing
        offers = "--out" in proc.stdout and " -o " in proc.stdout
        assert offers == (command not in ("leaderboard", "score", "run")), f"{command}: -o/--out offered: {offers}"
    assert "--leaderboard-file" in kit("score", "-h").stdout and "--runs-dir" in kit("run", "-h").stdout
    assert "reconstruction|denoising|simclr" in kit("pretrain", "-h").stdout
    assert "majority|hungarian" in kit("cluster", "-h").stdout


def test_version():
    proc = kit("--version")
    assert proc.returncode == 0 and proc.stdout == f"kit {version('kit')}\n"


def test_shell_completion_is_enabled():
    proc = subprocess.run([sys.executable, "-m", "kit"], capture_output=True, text=True, timeout=120,
                          env={**ENV, "_KIT_COMPLETE": "complete_bash", "COMP_WORDS": "kit cluster x --method g",
                               "COMP_CWORD": "4"})
    assert proc.returncode == 0 and proc.stdout.split() == ["gmm"]


def test_kit_error_is_one_line_exit_2(tmp_path):
    proc = kit("run", tmp_path / "missing.yaml")
    assert proc.returncode == 2
    assert proc.stderr == f"error: {tmp_path / 'missing.yaml'}: no such config file\n"


@pytest.mark.parametrize("item", ["[a1]", "[/x]", "[bold]ids[/bold]"])
def test_square_brackets_in_messages_are_printed(tmp_path, item):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"name": "x"}))
    proc = kit("run", cfg, item)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == f"error: override: expected key=value, got {item!r}\n"


def run_main(monkeypatch, args):
    monkeypatch.setattr(sys, "argv", ["kit", *args])
    with pytest.raises(SystemExit) as exit_info:
        kit_main()
    return exit_info.value.code


@pytest.mark.parametrize("raised,message", [
    (KeyboardInterrupt(), "interrupted"),
    (Interrupted("pretrain interrupted; rerun to resume from epoch 3"), "pretrain interrupted; rerun to resume from epoch 3"),
])
def test_interrupts_exit_130(monkeypatch, capsys, tmp_path, raised, message):
    import kit.pipeline

    def boom(*a, **k):
        raise raised

    monkeypatch.setattr(kit.pipeline, "run_pipeline", boom)
    assert run_main(monkeypatch, ["run", str(tmp_path / "c.yaml")]) == 130
    assert capsys.readouterr().err.strip() == message


def test_sigint_to_a_running_pretrain_exits_130(tmp_path):
    from kit.competition import make_competition
    from kit.data import load_source

    comp = make_competition(load_source({"kind": "digits", "limit": 300}), tmp_path / "comp", "label")
    out = tmp_path / "model"
    proc = subprocess.Popen([sys.executable, "-m", "kit", "pretrain", "-c", str(comp), "-o", str(out), "--model", "mlp_ae",
                             "--epochs", "100000", "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)
    try:
        deadline = time.monotonic() + 240
        while not (out / "metrics.csv").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read()  # training has started and is still running
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    import re

    import pandas as pd

    # a plain `kit pretrain` rerun is refused (it would start over), so the message names the flag that resumes
    resume_from = int(re.search(r"pretrain interrupted; rerun with --resume to resume from epoch (\d+)", err).group(1))
    again = kit("pretrain", "-c", comp, "-o", out, "--model", "mlp_ae", "--epochs", resume_from + 1, "--device", "cpu",
                "--resume")
    assert again.returncode == 0, again.stderr
    first = re.search(r"pretrain mlp_ae (\d+)/", again.stderr).group(1)
    assert int(first) == resume_from  # the rerun's first epoch is the one the message named
    assert pd.read_csv(out / "metrics.csv")["epoch"].tolist() == list(range(1, resume_from + 2))
