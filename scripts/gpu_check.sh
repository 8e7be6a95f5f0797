#!/usr/bin/env bash
# The GPU check in one command: writes bench/gpu.md (SimCLR throughput, CIFAR-10 SCAN recipe, the pretrained
# backbone of configs/natural.yaml + SCAN heads), about 9 minutes on one H100/H200. Arguments go to scripts/gpu_check.py, e.g.
#   scripts/gpu_check.sh                                  # on the GPU machine
#   scripts/gpu_check.sh --tiny --out /tmp/gpu.md         # CPU smoke run, under a minute
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
export NO_ALBUMENTATIONS_UPDATE=1
exec "$PY" scripts/gpu_check.py "$@"
