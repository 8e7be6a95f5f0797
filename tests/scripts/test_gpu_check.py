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
