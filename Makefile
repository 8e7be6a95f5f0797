# kit: two commands on a fresh machine: `make submit` (main job) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= configs/fashion_mnist.yaml
export NO_ALBUMENTATIONS_UPDATE := 1
export PYTHONUNBUFFERED := 1

.PHONY: setup data test submit reproduce bench experiments report clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Fashion-MNIST from Debian when we can install it; kit falls back to a torchvision download otherwise.
data:
	@bash scripts/ensure_fashion_mnist.sh

test: setup data
	$(BIN)/pytest -q --durations=15

# Writes submissions/<name>-<id>.csv + .json and submissions/leaderboard.csv (git-ignored); prints the CSV's path.
submit: setup data
	$(BIN)/kit run $(CONFIG)

# Reruns the tracked submissions/recorded/*.json from scratch (NAMES=digits_scratch: only that one); scores must agree within
# SCORE_TOL of scripts/reproduce.py, rows identical / byte-identical are reported (bench/reproducibility.md).
reproduce: setup data
	$(BIN)/python scripts/reproduce.py $(NAMES)

bench: setup data
	$(BIN)/python scripts/bench.py

# Course experiments: one page per report under reports/ (index: reports/index.html), CPU-sized (~30 min, 2 cores).
# Local competitions made from labeled data: the course figures are coloured by the public answers (--reveal-public).
experiments: setup data
	$(BIN)/kit experiment configs/experiments/*.yaml --private --reveal-public -o reports
	$(BIN)/python scripts/experiments_table.py reports

report: setup
	$(BIN)/kit report runs/$$(basename $(CONFIG) .yaml)

clean:
	rm -rf runs .pytest_cache
