"""Shared by the refine tests: sklearn digits and one small autoencoder trained on them (frozen features)."""
import pytest

from kit.data import load_source
from kit.train.pretrain import pretrain


@pytest.fixture(scope="package")
def digits():
    return load_source({"kind": "digits"})


@pytest.fixture(scope="package")
def ae(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("ae")
    return pretrain(digits.images, out, model="mlp_ae", model_kwargs={"latent_dim": 16}, epochs=30, batch_size=128,
                    lr=2e-3, progress=False)
