"""`kit blend`: the blend is written with its metadata, scored (private hidden unless --private) and put on the
leaderboard; the table goes to stdout; the competition comes from the submissions' .json or --competition; bad
inputs and outputs that would overwrite an input or a scored file end in one line, exit 2, nothing written."""
import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.metrics import cluster_accuracy
from kit.submit import build_submission, write_submission
from tests.cli_main import kit_main


def noisy_submissions(comp, folder, n=3, noise=0.35, seed=0):
    """``n`` submissions (CSV + .json naming the competition), each the truth with its own noise and cluster ids."""
    sol = pd.read_csv(comp.solution_path, dtype={"id": str})
    truth = dict(zip(sol["id"], sol["label"]))
    y = np.array([truth.get(i, 0) for i in comp.images.ids])
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n):
        v = y.copy()
        flip = rng.random(len(v)) < noise
        v[flip] = rng.integers(0, 10, flip.sum())
        clusters = {"ids": comp.images.ids, "clusters": rng.permutation(10)[v]}
        paths.append(write_submission(build_submission(comp, clusters), comp, folder / f"s{k}.csv"))
    return paths


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("blendcli")
    data = load_source({"kind": "digits", "limit": 300})
    comp = load_competition(make_competition(data, root / "comp", "label"))
    (root / "subs").mkdir()
    return comp, noisy_submissions(comp, root / "subs")


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_blend_writes_scores_and_records(tmp_path, setup, capsys):
    comp, subs = setup
    out, lb = tmp_path / "blend.csv", tmp_path / "lb.csv"
    code, stdout, err = kit_main(capsys, "blend", *subs, "-o", out, "--leaderboard-file", lb, "--vote-weights", "0.4,0.35,0.25")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(stdout), sep="\t", dtype={"weight": str})  # piped: TSV
    assert table.columns.tolist() == ["submission", "weight", "agreement", "public", "NMI", "ARI"]  # private hidden
    assert table["submission"].tolist() == [*map(str, subs), str(out)]
    assert table["weight"].tolist()[:3] == ["0.4", "0.35", "0.25"]
    assert table["public"].iloc[3] > table["public"].iloc[:3].max()  # the blend beats each input
    assert "wrote" in err and "private scores hidden" in err and "appended to" in err

    sol = pd.read_csv(comp.solution_path, dtype={"id": str})
    blended = pd.read_csv(out, dtype={"id": str})
    assert blended["id"].tolist() == comp.submission_ids.tolist()
    assert cluster_accuracy(sol["label"], blended["label"]) > max(
        cluster_accuracy(sol["label"], pd.read_csv(s)["label"]) for s in subs)

    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["competition_name"] == comp.name and meta["blend"]["method"] == "hungarian"
    inputs = meta["blend"]["inputs"]
    assert [i["file"] for i in inputs] == list(map(str, subs)) and [i["weight"] for i in inputs] == [0.4, 0.35, 0.25]
    assert all(0 < i["agreement"] <= 1 and len(i["digest"]) == 64 for i in inputs)
    assert [round(i["agreement"], 6) for i in inputs] == table["agreement"].iloc[:3].round(6).tolist()

    rows = pd.read_csv(lb, dtype=str)
    assert rows["file"].tolist() == [str(out)] and rows["competition"].tolist() == [comp.name]
    assert rows["config"].tolist() == ["blend"] and rows["config_hash"].tolist() == [meta["config_hash"]]

    # the same blend again: same content, allowed, and not a second row; --private shows the private scores
    code, stdout, err = kit_main(capsys, "blend", *subs, "-o", out, "--leaderboard-file", lb, "--vote-weights", "0.4,0.35,0.25",
                                 "--private")
    assert code == 0 and "already on" in err and stdout.splitlines()[0].split("\t")[4] == "private"
    assert len(pd.read_csv(lb)) == 1


def test_competition_from_option_when_no_json(tmp_path, setup, capsys):
    comp, subs = setup
    bare = []
    for s in subs[:2]:
        bare.append(tmp_path / s.name)
        shutil.copy(s, bare[-1])
    code, _, err = kit_main(capsys, "blend", *bare, "-o", tmp_path / "b.csv", "--no-leaderboard")
    assert code == 2 and err.count("\n") == 1 and "pass --competition DIR" in err
    code, stdout, err = kit_main(capsys, "blend", *bare, "-o", tmp_path / "b.csv", "--no-leaderboard", "-c", comp.dir)
    assert code == 0, err
    assert (tmp_path / "b.csv").exists() and not (tmp_path / "submissions").exists()


def test_without_a_solution_the_blend_is_validated_not_scored(tmp_path, setup, capsys, monkeypatch):
    comp, subs = setup
    shutil.copytree(comp.dir, tmp_path / "nosol", ignore=shutil.ignore_patterns("hidden"))
    nosol = load_competition(tmp_path / "nosol")
    mine = [write_submission(pd.read_csv(s, dtype={"id": str}), nosol, tmp_path / s.name) for s in subs]
    monkeypatch.chdir(tmp_path)
    code, stdout, err = kit_main(capsys, "blend", *mine, "-o", "b.csv", "--format", "csv")  # found from their .json
    assert code == 0, err
    assert stdout.splitlines()[0] == "submission,weight,agreement" and len(stdout.splitlines()) == 5
    assert "validated, not scored" in err
    # recorded like `kit run` records a run of an imported competition: no public score, the label-free validation
    from sklearn.neighbors import NearestNeighbors

    from kit.competition.leaderboard import read_leaderboard
    from kit.validation import K_REFERENCE, knn_agreement, reference_features

    row = read_leaderboard(tmp_path / "submissions" / "leaderboard.csv").iloc[0]
    assert row["file"] == "b.csv" and np.isnan(row["public"]) and row["validation_kind"] == "knn_agreement"
    blend = pd.read_csv(tmp_path / "b.csv", dtype={"id": str})
    order = {i: n for n, i in enumerate(nosol.images.ids.astype(str))}
    Z = reference_features(nosol.images.images[[order[i] for i in blend["id"]]], 0)
    nn = NearestNeighbors(n_neighbors=K_REFERENCE + 1, metric="cosine").fit(Z).kneighbors(Z)[1][:, 1:]
    assert row["validation"] == pytest.approx(knn_agreement(nn, blend["label"].to_numpy()), abs=0.01)


def test_bad_inputs_exit_2_with_one_line_and_write_nothing(tmp_path, setup, capsys):
    comp, subs = setup
    other_comp = load_competition(make_competition(load_source({"kind": "digits", "limit": 200}), tmp_path / "other",
                                                   "label", seed=3))
    (tmp_path / "o").mkdir()
    foreign = noisy_submissions(other_comp, tmp_path / "o", n=1)[0]  # a submission of another competition
    mismatched = tmp_path / "o" / "mismatched.csv"
    df = pd.read_csv(subs[1], dtype=str)
    df.loc[4, "id"] = "img_99999"
    df.to_csv(mismatched, index=False)
    lb = tmp_path / "lb.csv"
    scored = tmp_path / "scored.csv"
    shutil.copy(subs[2], scored)
    pd.DataFrame([{"file": str(scored), "competition": comp.name, "digest": "0" * 64, "public": "0.5"}]).to_csv(
        lb, index=False)  # a row scored another content of scored.csv
    before = listing(tmp_path)
    out = tmp_path / "b.csv"
    cases = [
        ((subs[0], "-o", out), "a blend needs at least two submissions, got 1"),
        ((subs[0], mismatched, "-o", out, "-c", comp.dir), f"{mismatched}: 1 unknown id(s), first 'img_99999' on line 6"),
        ((subs[0], foreign, "-o", out), f"{foreign} is a submission for competition 'other'"),
        ((subs[0], foreign, "-o", out, "-c", comp.dir), f"{foreign} is a submission for competition 'other'"),
        ((subs[0], subs[1], "-o", subs[1]), f"--out {subs[1]} would overwrite {subs[1]} (of input 2)"),
        ((subs[0], subs[1], "-o", subs[0].with_suffix(".txt")),
         f"would overwrite {subs[0].with_suffix('.json')} (of input 1)"),
        ((subs[0], subs[1], "-o", scored, "--leaderboard-file", lb), f"--out {scored} is the file of a row of {lb}"),
        ((subs[0], subs[1], "-o", scored, "--leaderboard-file", lb, "--no-leaderboard"), "is the file of a row of"),
        ((subs[0], subs[1], "-o", out, "--vote-weights", "1,2,3"), "--vote-weights: 2 submissions need 2 weights, got 3"),
        ((subs[0], subs[1], "-o", out, "--vote-weights", "1,-2"), "--vote-weights: every weight must be a positive number"),
        ((subs[0], subs[1], "-o", out, "--vote-weights", "1,x"), "--vote-weights: expected comma-separated numbers"),
        ((subs[0], subs[1], "-o", tmp_path), "is a folder; expected a file path"),
    ]
    for args, message in cases:
        code, stdout, err = kit_main(capsys, "blend", *args)
        assert code == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err, (args, err)
        assert stdout == ""
    assert listing(tmp_path) == before
    assert pd.read_csv(lb)["file"].tolist() == [str(scored)]


def test_help_has_an_example(capsys):
    code, stdout, _ = kit_main(capsys, "blend", "-h")
    assert code == 0 and "Example: kit blend" in stdout and "--vote-weights" in stdout and " -o " in stdout


def test_blend_old_leaderboard_spelling_still_appends_with_a_deprecation_line(tmp_path, setup, capsys):
    _, subs = setup
    lb = tmp_path / "old.csv"
    code, _, err = kit_main(capsys, "blend", *subs[:2], "-o", tmp_path / "b.csv", "--leaderboard", lb)
    assert code == 0, err
    assert "deprecated" in err and "--leaderboard-file" in err
    assert len(pd.read_csv(lb)) == 1
    new, old = tmp_path / "new.csv", tmp_path / "oldw.csv"  # --weights: the old spelling of --vote-weights
    assert kit_main(capsys, "blend", *subs, "-o", new, "--no-leaderboard", "--vote-weights", "0.2,0.3,0.5")[0] == 0
    code, _, err = kit_main(capsys, "blend", *subs, "-o", old, "--no-leaderboard", "--weights", "0.2,0.3,0.5")
    assert code == 0 and [x for x in err.splitlines() if "deprecated" in x] == [
        "kit blend: --weights is deprecated and will be removed; write --vote-weights (--weights is a model's weights "
        "in `kit extract`)"], err
    assert pd.read_csv(old).equals(pd.read_csv(new))
