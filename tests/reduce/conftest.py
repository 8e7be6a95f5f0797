import numpy as np
import pytest
from sklearn.datasets import load_digits

from kit.reduce import reduce


@pytest.fixture(scope="session")
def digits_small():
    d = load_digits()
    return d.data[:300].astype(np.float64), d.target[:300]


@pytest.fixture(scope="session")
def embed(digits_small):
    """reduce(digits_small, steps, seed), computed once per (steps, seed) across test files: t-SNE and UMAP fits
    are the slow part of these tests."""
    cache = {}

    def run(steps, seed=0):
        key = (repr(steps), seed)
        if key not in cache:
            cache[key] = reduce(digits_small[0], steps, seed=seed)
        return cache[key]

    return run
