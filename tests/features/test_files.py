"""kit.features.files provenance: save_features/save_clusters record or copy the digest of the images the arrays
were computed from (``images_digest=`` / ``source=``); files without one read as None."""
import numpy as np
import pytest

from kit.errors import DataError
from kit.features.files import DIGEST_KEY, load_clusters, load_features, recorded_digest, save_clusters, save_features


def test_digest_is_recorded_and_copied_from_the_source(tmp_path):
    ids, X = np.array(["a", "b", "c"]), np.arange(6.0).reshape(3, 2)
    f = save_features(tmp_path / "f.npz", ids, X, images_digest="abc123")
    e = save_features(tmp_path / "e.npz", ids, X[:, :1], source=f)
    c = save_clusters(tmp_path / "c.npz", ids, [0, 1, 0], labels=[1, 0, 1], source=e)
    assert recorded_digest(f) == recorded_digest(e) == recorded_digest(c) == "abc123"
    assert recorded_digest(load_clusters(c)) == "abc123"
    loaded_ids, loaded = load_features(e)  # the reader's answer is unchanged
    assert loaded_ids.tolist() == ["a", "b", "c"] and loaded.shape == (3, 1)
    assert save_clusters(tmp_path / "x.npz", ids, [0, 1, 0], source=e, images_digest="given").exists()
    assert recorded_digest(tmp_path / "x.npz") == "given"  # an explicit digest wins over the source's


def test_files_without_a_digest(tmp_path):
    ids, X = ["a", "b"], np.ones((2, 2))
    old = save_features(tmp_path / "old.npz", ids, X)
    assert recorded_digest(old) is None and DIGEST_KEY not in np.load(old).files
    assert recorded_digest(save_features(tmp_path / "e.npz", ids, X, source=old)) is None
    np.savez(tmp_path / "bad.npz", ids=np.array(ids), clusters=np.zeros(2, int), images_digest=np.zeros(3))
    with pytest.raises(DataError, match="bad.npz: 'images_digest' must be one digest string"):
        recorded_digest(tmp_path / "bad.npz")
    with pytest.raises(DataError, match="no such file"):
        save_features(tmp_path / "f.npz", ids, X, source=tmp_path / "missing.npz")
    assert not (tmp_path / "f.npz").exists()
