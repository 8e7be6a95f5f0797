"""`kit report` colours its figures by the competition's labeled images only: the public rows of
hidden/solution.csv (a third of the answers, image by image) only with --reveal-public. Also -o and --seed checks."""
import pytest
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.report import build_report
from tests.cli_main import kit_main
from tests.report.conftest import fake_competition, fake_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reveal")
    comp = fake_competition(root / "comp", labels_per_class=4)
    return fake_run(root / "run", comp)


@pytest.fixture
def solution_reads(monkeypatch):
    """Every read of a hidden solution (the one reader, and the report's own entry to it), counted."""
    import kit.competition.scoring as scoring
    import kit.report.reference as reference

    calls = []
    real = scoring.read_solution

    def spy(path):
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(scoring, "read_solution", spy)
    real_public = reference.public_solution
    monkeypatch.setattr(reference, "public_solution", lambda path: (calls.append(str(path)), real_public(path))[1])
    return calls


def test_default_report_never_reads_the_solution(run, tmp_path, solution_reads):
    text = build_report([run], tmp_path / "out").read_text()
    assert solution_reads == []
    assert "reference labels from labeled.csv" in text and "public rows" not in text
    assert (tmp_path / "out" / "embedding.png").exists() and (tmp_path / "out" / "confusion.png").exists()


def test_reveal_public_uses_the_public_rows(run, tmp_path, solution_reads):
    text = build_report([run], tmp_path / "out", reveal_public=True).read_text()
    assert solution_reads and all(p.endswith("solution.csv") for p in solution_reads)
    assert "public rows of hidden/solution.csv" in text


def test_cli_flag_and_its_help(run, tmp_path, solution_reads):
    import typer

    runner = CliRunner()
    option = next(p for p in typer.main.get_command(app).commands["report"].params if p.name == "reveal_public")
    assert option.opts == ["--reveal-public"] and "PUBLIC rows of hidden/solution.csv" in option.help
    assert "--reveal-public" in runner.invoke(app, ["report", "--help"]).output
    res = runner.invoke(app, ["report", str(run), "-o", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert solution_reads == []
    res = runner.invoke(app, ["report", str(run), "-o", str(tmp_path / "b"), "--reveal-public"])
    assert res.exit_code == 0 and solution_reads, res.output


def test_out_is_a_file_or_under_one(run, tmp_path, capsys):
    (tmp_path / "ofile").write_text("mine")
    for out, words in ((tmp_path / "ofile", "is a file; expected a folder"),
                       (tmp_path / "ofile" / "sub", "is a file, so")):
        code, _, err = kit_main(capsys, "report", run, "-o", out)
        assert code == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, err
    assert (tmp_path / "ofile").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["ofile"]


def test_seed_out_of_range_is_a_usage_error(run, tmp_path, capsys):
    for bad in ("-1", str(2**32)):
        code, _, err = kit_main(capsys, "report", run, "-o", tmp_path / "r", "--seed", bad)
        assert code == 2 and "--seed" in err and "Traceback" not in err, err
    assert not (tmp_path / "r").exists()
