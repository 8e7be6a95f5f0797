"""Side-by-side figures over several runs: the numbers in each caption are the ones a direct computation gives."""
import json
import re
import types

import numpy as np
import pytest
import torch

from kit.data.imageset import ImageSet
from kit.models.registry import create_model, save_model
from kit.pipeline import run_pipeline
from kit.report import RunContext, Skip, compare
from kit.report.anomaly import default_ood, ood_auc
from kit.report.figures import run_confusion
from kit.report.reconstruction import pick_pair
from kit.train.extract import reconstruction_errors
from tests.report.conftest import clone_run


def config(tmp, name, model, model_kwargs):
    return {"name": name, "seed": 0,
            "competition": {"dir": str(tmp / "comp"),
                            "make": {"source": {"kind": "digits"}, "type": "label", "labels_per_class": 3,
                                     "public_fraction": 0.3}},
            "pretrain": {"model": model, "model_kwargs": model_kwargs, "epochs": 2, "batch_size": 128},
            "reduce": [{"method": "pca", "n_components": 2}], "cluster": {"method": "kmeans", "n_clusters": 10},
            "submit": {"leaderboard": False, "copy_to": None}}


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """The models are tiny: on a busy machine torch's intra-op threads cost far more than they bring."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, _one_thread):
    """(base folder, [("mlp4", ctx), ("conv8", ctx)]): two tiny digits autoencoder runs, built once."""
    tmp = tmp_path_factory.mktemp("compare_runs")
    dirs = [run_pipeline(config(tmp, name, model, kwargs), runs_dir=tmp / "runs")["run_dir"]
            for name, model, kwargs in (("mlp4", "mlp_ae", {"latent_dim": 4}),
                                        ("conv8", "conv_ae4", {"latent_dim": 8, "width": 4, "depth": 2}))]
    return tmp, [(d.name, RunContext.load(d)) for d in dirs]


@pytest.fixture
def items(runs):
    return runs[1]


def variant(runs, name, **stages):
    """A copy of the first run with some stages replaced (e.g. pretrain=None: no model)."""
    base, items = runs
    return name, RunContext.load(clone_run(items[0][1].run_dir, base / "variants" / name, **stages))


def number(caption, label):
    """The first number after `label ` in the caption."""
    return float(re.search(rf"{re.escape(label)}:? (\d+\.\d+)", caption).group(1))


def chosen(ctx, n, seed):
    """The figure's images, found independently: seeded choice of n positions, in competition order."""
    return ctx.images[np.sort(np.random.default_rng(seed).choice(len(ctx.images), n, replace=False))]


# ---- reconstructions -----------------------------------------------------------------------------------------------

def test_reconstruction_mse_is_reconstruction_errors(runs, items, tmp_path):
    raw = variant(runs, "raw", pretrain=None)
    caption = compare.reconstructions([*items, raw], tmp_path / "r.png", n=6, seed=3)
    assert (tmp_path / "r.png").stat().st_size > 0
    images = chosen(items[0][1], 6, 3)
    assert [label for label, _ in items] == ["mlp4", "conv8"]
    direct = {label: float(reconstruction_errors(ctx.model(), images).mean()) for label, ctx in items}
    for label in direct:
        assert number(caption, label) == pytest.approx(direct[label], abs=6e-5)
    assert "raw: no pretrain stage" in caption
    assert direct["mlp4"] != pytest.approx(direct["conv8"], rel=1e-3)  # two different models, really


def test_reconstructions_use_skip_ae_forward(runs, items, tmp_path):
    torch.manual_seed(0)
    model = create_model("skip_ae", 1, 8, latent_dim=4, width=4)
    save_model(model, tmp_path / "skip", "skip_ae", {"latent_dim": 4, "width": 4}, 1, 8)
    label, ctx = variant(runs, "skip", pretrain=tmp_path / "skip")
    x = torch.from_numpy(chosen(ctx, 8, 0).transpose(0, 3, 1, 2).astype(np.float32) / 255)
    with torch.no_grad():
        forward = ((ctx.model().eval()(x)[1] - x) ** 2).mean().item()
        bottleneck = ((ctx.model().decode(ctx.model().encode(x)) - x) ** 2).mean().item()
    caption = compare.reconstructions([(label, ctx)], tmp_path / "s.png")
    assert number(caption, label) == pytest.approx(forward, abs=6e-5)
    assert abs(forward - bottleneck) > 1e-3


def test_an_odd_image_shape_is_left_out(items, tmp_path):
    small = types.SimpleNamespace(autoencoder_problem=lambda: None, images=np.zeros((5, 4, 4, 1), np.uint8),
                                  autoencoder=lambda: None)
    caption = compare.reconstructions([*items, ("small", small)], tmp_path / "r.png", n=4)
    assert "small: its images are (4, 4, 1), those of mlp4 are (8, 8, 1)" in caption


@pytest.mark.parametrize("draw", [compare.reconstructions, compare.denoising, compare.interpolation, compare.anomaly])
def test_no_autoencoder_skips(runs, draw, tmp_path):
    with pytest.raises(Skip, match="raw: no pretrain stage"):
        draw([variant(runs, "raw", pretrain=None)], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


# ---- denoising -----------------------------------------------------------------------------------------------------

def test_denoising_numbers_match_direct_computation(items, tmp_path):
    caption = compare.denoising(items, tmp_path / "d.png", sigma=0.3, n=5, seed=1)
    assert (tmp_path / "d.png").exists()
    x = chosen(items[0][1], 5, 1).transpose(0, 3, 1, 2).astype(np.float32) / 255
    noise = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    noisy = np.clip(x + 0.3 * noise, 0, 1)
    noisy_mse = float(((noisy - x) ** 2).mean())
    assert number(caption, "noisy") == pytest.approx(noisy_mse, abs=6e-5)
    for label, ctx in items:
        with torch.no_grad():
            denoised = ctx.model().eval()(torch.from_numpy(noisy))[1].numpy()
        direct = float(((denoised - x) ** 2).mean())
        assert number(caption, label) == pytest.approx(direct, abs=6e-5)


# ---- interpolation -------------------------------------------------------------------------------------------------

def test_interpolation_classes_pick_the_first_labelled_images(items, tmp_path):
    ctx = items[0][1]
    labels = ctx.reference().labels_for(ctx.comp.images.ids)
    first = [next(i for i, v in enumerate(labels.tolist()) if v == c) for c in (0, 1)]
    assert compare.endpoints(ctx, classes=[0, 1]) == tuple(first)
    caption = compare.interpolation(items, tmp_path / "i.png", classes=[0, 1], steps=5)
    assert (tmp_path / "i.png").exists()
    ids = ctx.comp.images.ids
    assert f"A = id {ids[first[0]]} (position {first[0]}, class 0)" in caption
    assert f"B = id {ids[first[1]]} (position {first[1]}, class 1)" in caption


def test_interpolation_endpoints_from_indices_and_default(items):
    ctx = items[0][1]
    assert compare.endpoints(ctx, indices=[5, 9]) == (5, 9)
    assert compare.endpoints(ctx) == pick_pair(ctx.reference().labels_for(ctx.comp.images.ids))
    with pytest.raises(Skip, match="two image positions"):
        compare.endpoints(ctx, indices=[0, len(ctx.images)])


def test_interpolation_class_without_labels_skips(items, tmp_path):
    with pytest.raises(Skip, match="reference label 99"):
        compare.interpolation(items, tmp_path / "i.png", classes=[0, 99])


# ---- anomaly -------------------------------------------------------------------------------------------------------

def test_anomaly_means_are_reconstruction_errors(runs, items, tmp_path):
    raw = variant(runs, "raw", pretrain=None)
    caption = compare.anomaly([*items, raw], tmp_path / "a.png", n_examples=3, seed=0)
    assert (tmp_path / "a.png").exists()
    ctx = items[0][1]
    normal = ctx.images[np.random.default_rng(0).permutation(len(ctx.images))[:2000]]
    sets = {"competition": normal, **default_ood(normal, 0)}
    errors, _, left = compare.anomaly_losses(items, seed=0)
    for label, c in items:
        direct = {name: reconstruction_errors(c.model(), imgs) for name, imgs in sets.items()}
        for name in sets:
            assert errors[label][name].mean() == pytest.approx(direct[name].mean(), rel=1e-5)
        part = caption.split(f"{label}: ")[1]
        assert number(part, "competition") == pytest.approx(direct["competition"].mean(), abs=6e-5)
        auc = ood_auc(direct["competition"], direct["uniform noise"])
        assert f"uniform noise {direct['uniform noise'].mean():.4f} (AUC {auc:.3f})" in part
    assert "raw: no pretrain stage" in caption


def test_anomaly_with_an_ood_file(items, tmp_path):
    imgs = items[0][1].images[:50, ::-1, :].copy()
    ImageSet(ids=[f"o{i}" for i in range(50)], images=imgs).save(tmp_path / "upside.npz")
    caption = compare.anomaly(items, tmp_path / "a.png", ood=tmp_path / "upside.npz", n_examples=2)
    model = items[0][1].model()
    assert f"upside {reconstruction_errors(model, imgs).mean():.4f}" in caption
    ImageSet(ids=["w"], images=np.zeros((1, 4, 4, 1), np.uint8)).save(tmp_path / "wrong.npz")
    with pytest.raises(Skip, match="OOD images"):
        compare.anomaly(items, tmp_path / "b.png", ood=tmp_path / "wrong.npz")


# ---- embeddings ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("color", ["label", "cluster"])
def test_embeddings_panels_and_public_score(runs, items, color, tmp_path):
    flat = variant(runs, "flat", reduce=None)
    caption = compare.embeddings([*items, flat], tmp_path / "e.png", color=color, max_points=500)
    assert (tmp_path / "e.png").stat().st_size > 0
    assert "flat: no reduce stage output" in caption
    for label, ctx in items:
        scores = json.loads(ctx.stage_file("submit", "scores.json").read_text())
        assert f"{label} {scores['public']:.4f}" in caption
    assert "private" not in caption
    with pytest.raises(Skip, match="flat"):
        compare.embeddings([flat], tmp_path / "none.png", color=color)


def test_embeddings_without_a_score(runs, tmp_path):
    caption = compare.embeddings([variant(runs, "unscored", submit=None)], tmp_path / "e.png")
    assert "unscored none recorded" in caption


# ---- confusions ----------------------------------------------------------------------------------------------------

def test_confusions_accuracy_per_run(runs, items, tmp_path):
    unclustered = variant(runs, "unclustered", cluster=None)
    caption = compare.confusions([*items, unclustered], tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 0
    for label, ctx in items:
        assert number(caption, label) == pytest.approx(run_confusion(ctx)[0].accuracy, abs=6e-5)
    assert "unclustered: no cluster stage output" in caption
    with pytest.raises(Skip, match="unclustered"):
        compare.confusions([unclustered], tmp_path / "none.png")
