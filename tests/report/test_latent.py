"""Mean |Pearson r| between latent coordinates."""
import numpy as np

from kit.report.latent import abs_correlation, correlation_figure, mean_abs_correlation


def test_independent_coordinates_are_near_zero():
    z = np.random.default_rng(0).normal(size=(4000, 8))
    assert mean_abs_correlation(z) < 0.05


def test_redundant_coordinates_are_near_one():
    x = np.random.default_rng(0).normal(size=(500, 1))
    z = np.c_[x, -2 * x, 3 * x + 1]
    assert abs(mean_abs_correlation(z) - 1.0) < 1e-9


def test_constant_coordinates_are_ignored():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 1))
    z = np.c_[x, x, np.ones((500, 1))]
    assert abs(mean_abs_correlation(z) - 1.0) < 1e-9
    assert abs_correlation(z).shape == (2, 2)
    assert np.isnan(mean_abs_correlation(np.c_[x, np.zeros((500, 1))]))


def test_figure_one_point_per_model(tmp_path):
    caption = correlation_figure([(16, 0.2, "b"), (8, 0.1, "a")], tmp_path / "c.png", np.eye(8), "a")
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert caption.index("(d=8)") < caption.index("(d=16)")
