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

submit: setup data
	$(BIN)/kit run $(CONFIG)

reproduce: setup data
	$(BIN)/python scripts/reproduce.py

bench: setup data
	$(BIN)/python scripts/bench.py

# Course experiments (so far: the latent-dimension x depth sweep on digits); results under reports/.
experiments: setup data
	$(BIN)/kit sweep configs/experiments/digits_latent_dim.yaml --set pretrain.model_kwargs.latent_dim=2,8,32 \
		--set pretrain.model_kwargs.depth=1,2,3 -o reports/latent_dim

report: setup
	$(BIN)/kit report runs/$$(basename $(CONFIG) .yaml)

clean:
	rm -rf runs .pytest_cache
