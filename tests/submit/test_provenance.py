"""Clusters carry the digest of the images they were computed from (extract -> reduce -> cluster), and `kit submit`
refuses clusters of another competition whose ids happen to coincide (same maker, another seed)."""
import numpy as np
import pytest

from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.features.files import load_clusters, recorded_digest, save_clusters, save_features
from kit.train.extract import extract_features
from tests.cli_main import kit_main


@pytest.fixture(scope="module")
def comps(tmp_path_factory):
    """Two pure-clustering competitions of one source, seeds 0 and 1: the same ids img_00000.., other images."""
    root = tmp_path_factory.mktemp("prov")
    digits = load_source({"kind": "digits", "limit": 120})
    a = make_competition(digits, root / "a", n_images=80, seed=0)
    b = make_competition(digits, root / "b", n_images=80, seed=1)
    return root, a, b


def clusters_of(comp_dir, root, name="c.npz"):
    """extract raw -> an embedding (source=features) -> clusters (source=embedding), as kit run chains them."""
    comp = load_competition(comp_dir)
    feats = extract_features("raw", comp.images, root / f"{name}.features.npz")
    ids = np.load(feats)["ids"]
    X = np.load(feats)["features"]
    emb = save_features(root / f"{name}.embedding.npz", ids, X[:, :5], source=feats)
    return save_clusters(root / name, ids, (X[:, 20] > X[:, 20].mean()).astype(int), source=emb)


def test_extract_records_the_images_and_reduce_cluster_carry_it(comps):
    root, a, _ = comps
    path = clusters_of(a, root)
    digest = load_competition(a).images.digest()
    assert recorded_digest(root / "c.npz.features.npz") == digest
    assert recorded_digest(root / "c.npz.embedding.npz") == digest
    assert recorded_digest(path) == digest == recorded_digest(load_clusters(path))
    save_clusters(root / "plain.npz", ["x"], [0])
    assert recorded_digest(root / "plain.npz") is None  # no source, no claim


def test_image_digest_ignores_order_but_not_pixels(comps):
    _, a, b = comps
    images = load_competition(a).images
    assert images.subset(np.arange(len(images))[::-1]).digest() == images.digest()
    assert load_competition(b).images.digest() != images.digest()
    assert (load_competition(b).images.ids == images.ids).all()  # the ids coincide: only the pixels tell them apart


def test_submit_refuses_clusters_of_another_competition_with_the_same_ids(comps, tmp_path, capsys):
    root, a, b = comps
    clusters = clusters_of(a, root)
    code, _, err = kit_main(capsys, "submit", clusters, "-c", b, "-o", tmp_path / "s.csv")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "computed from other images than those of competition 'b'" in err and "another competition" in err
    assert list(tmp_path.iterdir()) == []  # nothing written
    code, _, err = kit_main(capsys, "submit", clusters, "-c", a, "-o", tmp_path / "s.csv")
    assert code == 0 and "note" not in err, err
    assert (tmp_path / "s.csv").exists()


def test_older_clusters_without_a_digest_pass_with_a_note(comps, tmp_path, capsys):
    root, a, b = comps
    ids = load_competition(b).images.ids
    np.savez(tmp_path / "old.npz", ids=ids, clusters=np.arange(len(ids)) % 3)
    code, _, err = kit_main(capsys, "submit", tmp_path / "old.npz", "-c", b, "-o", tmp_path / "s.csv")
    assert code == 0 and (tmp_path / "s.csv").exists(), err
    notes = [line for line in err.splitlines() if "note:" in line]
    assert len(notes) == 1 and "do not record which images" in notes[0]


def test_submit_seed_must_be_a_numpy_seed(comps, tmp_path, capsys):
    root, a, _ = comps
    clusters = clusters_of(a, root)
    for bad in ("-1", str(2**32)):
        code, _, err = kit_main(capsys, "submit", clusters, "-c", a, "-o", tmp_path / "s.csv", "--seed", bad)
        assert code == 2 and "--seed" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_missing_ids_are_shown_as_plain_strings(comps, tmp_path, capsys):
    root, a, _ = comps
    ids = load_competition(a).images.ids
    save_clusters(tmp_path / "part.npz", ids[:40], np.zeros(40, int))
    code, _, err = kit_main(capsys, "submit", tmp_path / "part.npz", "-c", a, "-o", tmp_path / "s.csv")
    assert code == 2 and "no prediction for 40 images" in err and "(first: ['img_00040', " in err, err
    assert "np.str_" not in err
