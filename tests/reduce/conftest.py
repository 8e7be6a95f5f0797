import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits_small():
    d = load_digits()
    return d.data[:300].astype(np.float64), d.target[:300]
