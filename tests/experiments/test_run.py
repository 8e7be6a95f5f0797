"""Every shipped experiment runs end to end on a tiny digits subset: runs, shared stages, figures, one page each."""
import json
from pathlib import Path

import pytest

from kit.experiments import load_experiment, run_experiment, write_index
from kit.io import read_json
from tests.pipeline.test_trust import kit_copy  # noqa: F401 (a fixture)

FILES = sorted(Path("configs/experiments").glob("*.yaml"))
TINY = ["competition.make.source={kind: digits, limit: 300}", "pretrain.epochs=2", "pretrain.batch_size=64",
        "holdout=digits:limit=400"]


def _quick_tsne(steps) -> None:
    """t-SNE of 300 points: Barnes-Hut and fewer iterations (the FFT gradient's fixed cost per iteration is most of
    the time at this size); the test checks pages and figures, not the embedding's quality."""
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and step.get("method") == "tsne":
            step.update(negative_gradient_method="bh", n_iter=200, early_exaggeration_iter=100)


def tiny(path, tmp):
    over = TINY + [f"competition.dir={tmp / 'comp' / path.stem}"]
    if "binary" in path.stem:
        over += ["competition.make.groups=[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]", "competition.make.labels_per_class=60"]
    exp = load_experiment(path, over)
    make = exp.base["competition"]["make"]
    if make.get("labels_per_class") and "binary" not in path.stem:
        make["labels_per_class"] = 10  # 300 digits have ~30 images per class
    _quick_tsne(exp.base.get("reduce"))
    for part in exp.parts:  # variants carry their own finetune epochs and reduce chains: shrink them too
        for over in (part.variants or {}).values():
            if isinstance(over.get("finetune"), dict):
                over["finetune"] = {**over["finetune"], "epochs": 2}
            _quick_tsne(over.get("reduce"))
    if "finetune" in exp.base:
        exp.base["finetune"]["epochs"] = 2
    return exp


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exp")
    out = {}
    for path in FILES:
        exp = tiny(path, tmp)
        out[exp.name] = (exp, run_experiment(exp, out=tmp / "reports", runs_dir=tmp / "runs", reveal_public=True))
    write_index(tmp / "reports")
    return tmp, out


def test_every_experiment_writes_its_page_tables_and_figures(pages):
    tmp, out = pages
    assert len(out) == 5
    index = (tmp / "reports" / "index.html").read_text()
    for name, (exp, page) in out.items():
        assert page == tmp / "reports" / name / "index.html" and f"{name}/index.html" in index
        info = read_json(page.parent / "experiment.json")
        assert [p["title"] for p in info["parts"]] == [p.title for p in exp.parts]
        for part, summary in zip(exp.parts, info["parts"]):
            assert summary["skipped_figures"] == [], (name, part.title, summary)  # every figure drew
            assert (page.parent / part.slug / "results.csv").exists()
        html = page.read_text()
        assert html.count("<img") >= sum(len(p.figures) for p in exp.parts)
        for src in [s.split("'")[0] for s in html.split("<img src='")[1:]]:
            assert (page.parent / src).exists(), src


def test_parts_share_cached_stages_and_a_rerun_trains_nothing(pages):
    tmp, out = pages
    cells = tmp / "reports" / "ae_architectures"
    small_cnn = read_json(next(cells.glob("small_cnn*/cells/*.json")))
    assert "pretrain" not in small_cnn["ran"] and "finetune" in small_cnn["ran"]  # reuses the Architectures conv AE
    stamps = lambda: sorted((str(p), p.stat().st_mtime_ns) for p in (tmp / "runs").glob("exp_arch*/*/stage.json"))  # noqa: E731
    before = stamps()
    exp = tiny(FILES[[f.stem for f in FILES].index("ae_architectures")], tmp)
    run_experiment(exp, out=tmp / "reports", runs_dir=tmp / "runs")
    assert before and stamps() == before  # no stage was rebuilt


def test_latent_dim_table_has_params_and_held_out_loss(pages):
    tmp, _ = pages
    import pandas as pd

    df = pd.read_csv(tmp / "reports" / "latent_dim" / "latent_dimension" / "results.csv")
    assert list(df["pretrain.model_kwargs.latent_dim"]) == [1, 2, 4, 8, 16, 32, 64, 100]
    assert df["params"].is_monotonic_increasing and df["test_loss"].notna().all()
    assert "private" not in df  # hidden unless asked
    assert json.loads((tmp / "reports" / "latent_dim" / "experiment.json").read_text())["private_shown"] is False


def test_a_code_fix_reruns_finished_runs_and_a_corrupt_record_is_no_crash(tmp_path, monkeypatch, kit_copy):
    """Experiments run their cells like a sweep: a code fix is never hidden behind an earlier cell record."""
    from kit.experiments import parse_experiment

    monkeypatch.chdir(tmp_path)
    _, edit = kit_copy
    raw = {"name": "fix", "base": {
        "name": "fx", "competition": {"dir": str(tmp_path / "comp"),
                                      "make": {"source": {"kind": "digits", "limit": 300}, "type": "label"}},
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 4, "hidden": [16]}, "epochs": 1,
                     "batch_size": 64},
        "reduce": [{"method": "pca", "n_components": 3}], "cluster": {"method": "kmeans", "n_clusters": 10, "n_init": 1}},
        "parts": [{"title": "K", "variants": {"k8": {"cluster.n_clusters": 8}, "k10": {}}}]}
    run = lambda: run_experiment(parse_experiment(raw), out=tmp_path / "reports", runs_dir=tmp_path / "runs")  # noqa: E731
    run()
    records = sorted((tmp_path / "reports" / "fix" / "k" / "cells").glob("*.json"), key=lambda p: p.stem != "fx-k8")
    assert [read_json(r)["ran"] for r in records] == [["pretrain", "extract", "reduce", "cluster", "validate", "submit"],
                                                      ["cluster", "validate", "submit"]]
    records[1].write_text('{"cell": "fx-')  # a truncated record
    edit("pipeline/stages.py")
    run()
    assert [read_json(r)["ran"] for r in records] == [["pretrain", "extract", "reduce", "cluster", "validate", "submit"],
                                                      ["cluster", "validate", "submit"]]  # built again with the fixed code
    run()
    assert [read_json(r)["ran"] for r in records] == [[], []]


def test_experiment_pages_read_the_public_answers_only_when_asked(tmp_path, monkeypatch):
    """Was: every experiment page coloured its figures by the public rows of hidden/solution.csv, with no flag."""
    import kit.report.reference as reference
    from kit.experiments import parse_experiment

    reads = []
    real = reference.public_solution
    monkeypatch.setattr(reference, "public_solution", lambda path: (reads.append(str(path)), real(path))[1])
    monkeypatch.chdir(tmp_path)
    raw = {"name": "peek", "base": {
        "name": "pk", "competition": {"dir": str(tmp_path / "comp"),
                                      "make": {"source": {"kind": "digits", "limit": 200}, "type": "label"}},
        "reduce": [{"method": "pca", "n_components": 3}], "cluster": {"method": "kmeans", "n_clusters": 10, "n_init": 1}},
        "parts": [{"title": "K", "figures": ["embeddings"], "variants": {"k8": {"cluster.n_clusters": 8}, "k10": {}}}]}
    run_experiment(parse_experiment(raw), out=tmp_path / "a", runs_dir=tmp_path / "runs")
    assert reads == []
    run_experiment(parse_experiment(raw), out=tmp_path / "b", runs_dir=tmp_path / "runs", reveal_public=True)
    assert reads and all(p.endswith("solution.csv") for p in reads)
