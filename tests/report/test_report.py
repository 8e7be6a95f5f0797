"""build_report / `kit report` on real tiny digits runs: every figure exists, is a real image, the HTML links it,
and missing or broken inputs become 'skipped: reason' entries instead of exceptions."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  (registers every command, so "report" is a subcommand)
from kit.cli.app import app
from kit.errors import DataError
from kit.report import build_report
from tests.report.conftest import clone_run, copy_competition

FIGURES = ["confusion.png", "cluster_samples.png", "cluster_sizes.png", "embedding.png", "leaderboard.png",
           "reconstruction.png", "curve.png", "checkpoint_curve.png", "interpolation.png", "latent_correlation.png", "anomaly.png"]


def skipped(text):
    return re.findall(r"skipped: ([^<]*)<", text)


def assert_real_image(path):
    img = np.asarray(Image.open(path).convert("L"))
    assert img.shape[0] > 100 and img.shape[1] > 100, path
    assert img.std() > 5, f"{path} is (nearly) one colour"


def test_full_report(runs, tmp_path):
    _, (a, b, raw) = runs
    (tmp_path / "submissions").mkdir()  # the cwd's leaderboard is the history figure's default
    (tmp_path / "submissions" / "leaderboard.csv").write_text(
        "file,time,public,private,nmi,ari\nsubmissions/a.csv,2026-01-01T10:00:00,0.5,0.4,0.3,0.2\n")
    page = build_report([a, b, raw], tmp_path / "out")
    text = page.read_text()
    assert skipped(text) == [], skipped(text)
    for fig in FIGURES:
        assert f"src='{fig}'" in text
        assert_real_image(page.parent / fig)
    assert "(d=8)" in text and "(d=16)" in text  # one correlation point per model
    assert text.count("<tr") == 4  # header + three runs
    assert "reference labels from labeled.csv" in text  # the embedding says where its colours come from
    assert "public rows" not in text  # hidden/solution.csv's labels only with --reveal-public (test_reveal_public)
    noise_auc = float(re.search(r"uniform noise (\d\.\d+)", text).group(1))
    assert noise_auc > 0.9  # a trained AE reconstructs noise far worse than digits


def test_default_out_dir_is_run_report(runs):
    _, (a, _, _) = runs
    assert build_report([a]) == a / "report" / "index.html"


def test_raw_run_skips_model_figures_with_reasons(runs, tmp_path):
    _, (_, _, raw) = runs
    text = build_report([raw], tmp_path / "r").read_text()
    reasons = skipped(text)
    assert len(reasons) == 7 and sum("no pretrain stage" in r for r in reasons) == 5, reasons
    assert any("no leaderboard CSV" in r for r in reasons)
    assert_real_image(tmp_path / "r" / "embedding.png")
    assert not (tmp_path / "r" / "reconstruction.png").exists()


def test_missing_stage_outputs_are_skipped_not_raised(runs, tmp_path):
    base, (a, _, _) = runs
    run = clone_run(a, tmp_path / "runs" / "broken", competition=tmp_path / "nowhere", reduce=None,
                    pretrain=tmp_path / "no_model", cluster=tmp_path / "no_cluster")
    text = build_report([run], tmp_path / "out").read_text()
    reasons = skipped(text)
    assert len(reasons) == 10, reasons
    assert any("no reduce stage output" in r for r in reasons)
    assert sum("no cluster stage output" in r for r in reasons) == 3  # confusion, samples, sizes
    assert sum("no model.pt" in r for r in reasons) == 3  # reconstruction, interpolation, anomaly
    assert any("metrics.csv not found" in r for r in reasons)
    assert any("no model.json" in r for r in reasons)  # the checkpoint curve
    assert "src='latent_correlation.png'" in text  # extract's latent features are still there
    assert "broken" in text  # still a table row


def test_a_failing_figure_is_reported_and_the_rest_still_drawn(runs, tmp_path):
    _, (a, _, _) = runs
    stages = json.loads((a / "stages.json").read_text())
    bad_reduce = tmp_path / "reduce"
    bad_reduce.mkdir()
    (bad_reduce / "embedding_2d.npz").write_bytes(b"not an npz")
    run = clone_run(a, tmp_path / "runs" / "bad", reduce=bad_reduce)
    text = build_report([run], tmp_path / "out").read_text()
    reasons = skipped(text)
    failed = [r for r in reasons if r.startswith("failed:")]
    # the broken embedding; no leaderboard anywhere; the checkpoint curve needs the reduce stage.json
    assert len(failed) == 1 and len(reasons) == 3, reasons
    assert any("no reduce stage config" in r for r in reasons)
    assert stages["reduce"] != str(bad_reduce)
    assert text.count("<img ") == 8


def test_no_solution_compares_with_labeled_images(runs, tmp_path):
    base, (a, _, _) = runs
    comp = copy_competition(base / "comp", tmp_path / "comp", with_solution=False)
    run = clone_run(a, tmp_path / "runs" / "nosol", competition=comp)
    text = build_report([run], tmp_path / "out").read_text()
    assert "coloured by submitted cluster" in text
    assert "reference labels from labeled.csv" in text and "public rows" not in text
    assert_real_image(tmp_path / "out" / "embedding.png")


def test_relative_stage_paths_resolve_from_another_cwd(runs, tmp_path, monkeypatch):
    base, (a, _, _) = runs
    stages = json.loads((a / "stages.json").read_text())
    rel = {k: (str(Path(v).relative_to(base)) if v else None) for k, v in stages.items()}
    (a.parent / "relative").mkdir(exist_ok=True)
    (a.parent / "relative" / "stages.json").write_text(json.dumps(rel))  # as `kit run` writes them: repo-relative
    monkeypatch.chdir(tmp_path)
    text = build_report([a.parent / "relative"], tmp_path / "out").read_text()
    assert skipped(text) == ["no leaderboard CSV given and no submissions/leaderboard.csv found"], skipped(text)


def test_ood_set_with_other_shape_is_skipped(runs, tmp_path):
    from kit.data.imageset import ImageSet

    _, (a, _, _) = runs
    ImageSet(ids=np.array(["x0", "x1"]), images=np.zeros((2, 5, 5, 1), np.uint8)).save(tmp_path / "ood.npz")
    text = build_report([a], tmp_path / "out", ood=tmp_path / "ood.npz").read_text()
    assert any("OOD images" in r for r in skipped(text))


def test_ood_set_is_scored(runs, tmp_path):
    from kit.data.imageset import ImageSet

    _, (a, _, _) = runs
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (50, 8, 8, 1), dtype=np.uint8)
    ImageSet(ids=np.array([f"n{i}" for i in range(50)]), images=imgs).save(tmp_path / "noise_set.npz")
    text = build_report([a], tmp_path / "out", ood=tmp_path / "noise_set.npz").read_text()
    assert re.search(r"noise_set \d\.\d+", text) and "uniform noise" not in text


def test_not_a_run_folder(tmp_path):
    with pytest.raises(DataError, match="no stages.json"):
        build_report([tmp_path])


def test_cli(runs, tmp_path):
    _, (a, b, _) = runs
    runner = CliRunner()
    r = runner.invoke(app, ["report", str(a), str(b), "--out", str(tmp_path / "cli"), "--max-points", "300"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "cli" / "index.html").read_text()
    assert "300 of 1797 points" in text and text.count("<img ") == 10  # all but the leaderboard history
    r = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert isinstance(r.exception, DataError) and "not a run folder" in str(r.exception)


def test_report_files_are_readable_by_others(runs, tmp_path):
    """A report is meant to be shared (or served): not the 0600 mode a temporary file is created with."""
    import os

    _, (a, _, _) = runs
    old = os.umask(0o022)
    try:
        page = build_report([a], tmp_path / "out")
    finally:
        os.umask(old)
    for f in [page, *page.parent.glob("*.png")]:
        assert f.stat().st_mode & 0o777 == 0o644, f
    assert not list(page.parent.glob(".*.tmp*"))  # no temporary files left behind
