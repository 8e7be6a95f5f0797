"""scripts/gpu_check.sh --tiny: the GPU check's CPU smoke run writes the three sections with measured numbers."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from kit.paths import shared_data_dir

ROOT = Path(__file__).resolve().parents[2]


def _cifar10() -> Path:
    return shared_data_dir() / "cifar10"


@pytest.mark.skipif(not (_cifar10() / "train").exists(), reason="needs the shared CIFAR-10 folder")
def test_tiny_gpu_check_writes_the_three_sections(tmp_path):
    out = tmp_path / "gpu.md"
    proc = subprocess.run([str(ROOT / "scripts" / "gpu_check.sh"), "--tiny", "--out", str(out), "--work",
                           str(tmp_path / "work")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "tiny" in text and "- device: CPU" in text
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    titles = [s.splitlines()[0] for s in sections]
    assert titles[0].startswith("SimCLR ResNet-18 throughput")
    assert titles[1].startswith("CIFAR-10 SCAN recipe")
    assert titles[2].startswith("Pretrained backbone recipe") and "efficientnet_lite2" in titles[2]
    values = []
    for section in sections:  # each has a table row of measured numbers (the last cell: img/s or ACC)
        row = [ln for ln in section.splitlines() if ln.startswith("|") and not ln.startswith("|---")][-1]
        values.append(float(row.strip("|").split("|")[-1].replace(",", "")))
    assert values[0] > 0 and all(0 <= acc <= 1 for acc in values[1:])


def _gpu_check_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pretrained_recipe_runs_natural_yaml_cluster_section(tmp_path):
    """The GPU run measures the recipe users run: natural.yaml's extract and cluster settings, not a copy of them."""
    import yaml

    natural = yaml.safe_load((ROOT / "configs" / "natural.yaml").read_text())
    config = _gpu_check_module().pretrained_config(tmp_path / "comp", tiny=False)
    assert config["cluster"] == {**natural["cluster"], "n_clusters": 10}
    assert {k: v for k, v in config["extract"].items() if k != "batch_size"} == \
        {k: v for k, v in natural["extract"].items() if k != "batch_size"}
    tiny = _gpu_check_module().pretrained_config(tmp_path / "comp", tiny=True)
    assert tiny["cluster"]["epochs"] < natural["cluster"]["epochs"]
    assert tiny["cluster"]["smooth_k"] == natural["cluster"]["smooth_k"]
