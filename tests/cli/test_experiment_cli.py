"""`kit experiment`: bad files and keys fail in one line with exit 2 before anything is written."""
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def kit(*args, cwd):
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={"NO_ALBUMENTATIONS_UPDATE": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_errors_are_one_line_exit_2_and_write_nothing(tmp_path):
    proc = kit("experiment", "nope.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "no such config file" in proc.stderr
    raw = yaml.safe_load((ROOT / "configs/experiments/latent_dim.yaml").read_text())
    raw["parts"][0]["figures"][0]["kind"] = "corelation"
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(raw))
    proc = kit("experiment", "e.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'correlation'" in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1
    proc = kit("experiment", ROOT / "configs/experiments/latent_dim.yaml", "pretrain.epochz=1", cwd=tmp_path)
    assert proc.returncode == 2 and "epochz" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.yaml"]  # no reports/, runs/ or competitions/


def test_help_lists_the_command(tmp_path):
    proc = kit("experiment", "-h", cwd=tmp_path)
    assert proc.returncode == 0 and "FILE..." in proc.stdout and "--private" in proc.stdout


def test_an_out_that_is_a_file_fails_first(tmp_path):
    (tmp_path / "ofile").write_text("x")
    proc = kit("experiment", ROOT / "configs/experiments/latent_dim.yaml", "-o", "ofile", cwd=tmp_path)
    assert proc.returncode == 2 and "--out ofile is a file; expected a folder" in proc.stderr, proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ofile"]  # no competition built, no runs


def test_bad_figure_values_fail_before_anything_is_built(tmp_path):
    raw = yaml.safe_load((ROOT / "configs/experiments/latent_dim.yaml").read_text())
    raw["parts"][0]["figures"] = [{"kind": "reconstructions", "n": -4}]
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(raw))
    proc = kit("experiment", "e.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "(reconstructions).n must be an integer >= 1, got -4" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.yaml"]
