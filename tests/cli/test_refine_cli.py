"""`kit refine` through the real entry point: bad input is one line and exit 2, nothing written."""
from kit.competition import make_competition
from kit.data import load_source
from tests.cli.test_main_cli import kit
from tests.interrupts import crash_after_epoch


def test_refine_cli_errors_and_success(tmp_path):
    comp = make_competition(load_source({"kind": "digits", "limit": 200}), tmp_path / "comp", "label")
    bad = kit("refine", str(tmp_path / "nomodel"), "-c", str(comp), "-o", str(tmp_path / "out"))
    assert bad.returncode == 2 and "not a kit model folder" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "out").exists()
    model = tmp_path / "ae"
    assert kit("pretrain", "-c", str(comp), "-o", str(model), "--model", "mlp_ae", "--epochs", "2").returncode == 0
    big_k = kit("refine", str(model), "-c", str(comp), "-o", str(tmp_path / "out"), "--neighbors", "500")
    assert big_k.returncode == 2 and "k=500 must be smaller" in big_k.stderr and not (tmp_path / "out").exists()
    old_k = kit("refine", str(model), "-c", str(comp), "-o", str(tmp_path / "out"), "-k", "500")  # old spelling: still read
    assert old_k.returncode == 2 and "write --neighbors" in old_k.stderr and "k=500 must be smaller" in old_k.stderr
    semi = kit("refine", str(model), "-c", str(comp), "-o", str(tmp_path / "out"), "--mode", "semi")
    assert semi.returncode == 2 and "needs labeled images" in semi.stderr
    bad_k = kit("refine", str(model), "-c", str(comp), "-o", str(tmp_path / "out"), "--n-clusters", "many")
    assert bad_k.returncode == 2 and "--n-clusters" in bad_k.stderr and "integer >= 1 or auto" in bad_k.stderr
    ok = kit("refine", str(model), "-c", str(comp), "-o", str(tmp_path / "out"), "--epochs", "3", "--self-label-epochs", "1",
             "--n-clusters", "auto")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "probabilities.npz").exists() and (tmp_path / "out" / "model.json").exists()
    import json

    auto = json.loads((tmp_path / "out" / "model.json").read_text())["auto_k"]  # labels absent: K chosen from data
    assert auto["n_clusters"] >= 2 and auto["source"]


def test_refine_cli_trains_a_fresh_network(tmp_path):
    comp = make_competition(load_source({"kind": "digits", "limit": 200}), tmp_path / "comp", "label")
    typo = kit("refine", "smal_cnn", "-c", str(comp), "-o", str(tmp_path / "out"))
    assert typo.returncode == 2 and "did you mean 'small_cnn'" in typo.stderr and not (tmp_path / "out").exists()
    frozen = kit("refine", "small_cnn", "-c", str(comp), "-o", str(tmp_path / "out"), "--neighbor-features", "dsift")
    assert frozen.returncode == 2 and "--no-freeze" in frozen.stderr and not (tmp_path / "out").exists()
    random_nb = kit("refine", "small_cnn", "-c", str(comp), "-o", str(tmp_path / "out"), "--no-freeze")
    assert random_nb.returncode == 2 and "features are random" in random_nb.stderr
    ok = kit("refine", "small_cnn", "-c", str(comp), "-o", str(tmp_path / "out"), "--no-freeze", "--neighbor-features",
             "dsift", "--epochs", "1", "--self-label-epochs", "0")
    assert ok.returncode == 0, ok.stderr
    assert '"fresh": true' in (tmp_path / "out" / "model.json").read_text()


def test_refine_cli_interrupt_names_resume_and_refuses_other_options(tmp_path, monkeypatch, capsys):
    """Ctrl-C says "rerun with --resume" (a plain rerun starts over); --resume with another -k is exit 2."""
    import sys

    import pandas as pd

    import kit.refine.train as mod
    from kit.cli.main import main as kit_main

    comp = make_competition(load_source({"kind": "digits", "limit": 200}), tmp_path / "comp", "label")
    args = ["refine", "small_cnn", "-c", str(comp), "-o", str(tmp_path / "out"), "--no-freeze", "--neighbor-features",
            "dsift", "--neighbors", "10", "--epochs", "3", "--self-label-epochs", "0"]

    def run(*extra):
        monkeypatch.setattr(sys, "argv", ["kit", *args, *extra])
        try:
            kit_main()
            code = 0
        except SystemExit as e:
            code = e.code
        return code, capsys.readouterr().err

    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 1)
        code, err = run()
    assert code == 130 and "refine interrupted; rerun with --resume to resume from epoch 2" in err
    code, err = run("--resume", "--neighbors", "5")
    assert code == 2 and "refine.k=10 (now 5)" in err and len(err.strip().splitlines()) == 1
    code, err = run("--resume")
    assert code == 0, err
    assert pd.read_csv(tmp_path / "out" / "metrics.csv")["epoch"].tolist() == [1, 2, 3]


def test_refine_config_model_must_agree_with_the_model_argument(tmp_path):
    """refine.model in --config names a network too: one that differs from MODEL is refused (it was silently
    ignored); the same name is fine."""
    import yaml
    from typer.testing import CliRunner

    import kit.cli.main  # noqa: F401  registers every command
    from kit.cli.app import app
    from kit.errors import ConfigError
    from kit.train.pretrain import pretrain

    comp = make_competition(load_source({"kind": "digits", "limit": 200}), tmp_path / "comp", "label")
    model = pretrain(load_source({"kind": "digits", "limit": 200}).images, tmp_path / "ae", model="mlp_ae",
                     model_kwargs={"latent_dim": 4, "hidden": [8]}, epochs=1, progress=False, device="cpu")
    cfg = tmp_path / "r.yaml"
    cfg.write_text(yaml.safe_dump({"refine": {"model": "small_cnn", "model_kwargs": {"width": 4}, "epochs": 1,
                                              "self_label_epochs": 0, "freeze_encoder": False,
                                              "neighbor_features": "pixels", "k": 5, "device": "cpu"}}))
    runner = CliRunner()
    res = runner.invoke(app, ["refine", str(model), "-c", str(comp), "--config", str(cfg), "-o", str(tmp_path / "out")])
    assert isinstance(res.exception, ConfigError), res.output
    assert str(res.exception) == (f"--config {cfg}: refine.model is 'small_cnn' but the MODEL argument is "
                                  f"'{model}'; they disagree: drop refine.model from the config, or give small_cnn "
                                  "as MODEL")
    assert not (tmp_path / "out").exists()
    res = runner.invoke(app, ["refine", "small_cnn", "-c", str(comp), "--config", str(cfg), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert '"fresh": true' in (tmp_path / "out" / "model.json").read_text()
