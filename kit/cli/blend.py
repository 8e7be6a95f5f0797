"""`kit blend`: a (weighted) majority vote of submissions of one competition, the Kaggle ensemble of submissions."""

import hashlib
import json
from pathlib import Path
from typing import List

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.options import deprecated
from kit.cli.output import FORMAT_HELP, Format, print_rows, resolve_format


@app.command("blend")
def blend_command(
    submissions: List[Path] = typer.Argument(..., metavar="SUBMISSION...", help="Submission CSVs of one competition "
                                             "(at least two); the first names the clusters of the blend."),
    out: Path = typer.Option(..., "--out", "-o", help="Blended submission CSV to write (+ .json metadata); never one "
                             "of the inputs, nor a file a leaderboard row scored with other content."),
    weights: str = typer.Option(None, "--vote-weights", "-w", help="One positive weight per submission, comma-separated "
                                "(e.g. 0.5,0.3,0.2). Default: equal weights; ties go to the highest-weight, then the "
                                "earliest submission."),
    old_weights: str = typer.Option(None, "--weights", hidden=True),  # deprecated: model weights in extract
    competition: Path = typer.Option(None, "--competition", "-c", help="Competition folder (default: the "
                                     "\"competition\" key of the submissions' .json files)."),
    leaderboard: Path = typer.Option(Path("submissions/leaderboard.csv"), "--leaderboard-file",
                                     help="Leaderboard log to append the blend's score to."),
    old_leaderboard: Path = typer.Option(None, "--leaderboard", hidden=True),  # deprecated: a flag in `kit run`
    no_leaderboard: bool = typer.Option(False, "--no-leaderboard", help="Do not append to the leaderboard."),
    private: bool = typer.Option(False, "--private", help="Also print private scores (hidden by default, as on Kaggle)."),
    fmt: Format = typer.Option(None, "--format", help=FORMAT_HELP, case_sensitive=False, show_default=False),
) -> None:
    """Blend submissions by majority vote per image (or pair), validated and written like `kit submit`.

    Cluster ids are first matched to the first submission's (Hungarian matching); binary submissions that mostly
    disagree with the first are flipped; class labels and pairs are voted as written. With a hidden solution the
    blend is scored like `kit score` (each input beside it) and added to the leaderboard. The table (weight,
    agreement with the blend, scores) goes to stdout, notes to stderr.

    Example: kit blend a.csv b.csv c.csv --vote-weights 0.5,0.3,0.2 -o submissions/blend.csv
    """
    from kit.competition import load_competition, score_submission
    from kit.competition.leaderboard import (append_entry, check_leaderboard, check_not_scored, file_digest, git_commit,
                                             submission_digest)
    from kit.errors import ConfigError
    from kit.io import check_file_path
    from kit.submit.blend import blend_details, check_weights, parse_weights
    from kit.submit.metadata import submission_metadata
    from kit.submit.writer import write_submission

    if old_leaderboard is not None:
        deprecated("blend", "--leaderboard PATH", "--leaderboard-file PATH", "--leaderboard is a flag in `kit run`")
        leaderboard = old_leaderboard
    if len(submissions) < 2:
        raise ConfigError(f"a blend needs at least two submissions, got {len(submissions)}")
    if old_weights is not None:
        deprecated("blend", "--weights", "--vote-weights", "--weights is a model's weights in `kit extract`")
        weights = weights if weights is not None else old_weights
    w = check_weights(parse_weights(weights), len(submissions))
    check_file_path(out, "--out")
    meta_out = out.with_suffix(".json")
    if meta_out == out:
        raise ConfigError(f"--out {out}: a submission is a .csv file (its metadata goes beside it as .json)")
    check_file_path(meta_out, "--out")
    _check_not_an_input(out, meta_out, submissions)
    if not no_leaderboard:
        check_leaderboard(leaderboard, "--leaderboard-file")
    metas = [_submission_meta(s) for s in submissions]
    comp = load_competition(_find_competition(submissions, metas, competition))
    df, details = blend_details(submissions, comp, w, names=[str(s) for s in submissions])
    check_not_scored(out, lambda: submission_digest(df, comp), leaderboard, "a blend")

    digests = [file_digest(s) for s in submissions]
    inputs = [{"file": str(s), "digest": d, "config_hash": m.get("config_hash", ""), **entry}
              for s, d, (_, m), entry in zip(submissions, digests, metas, details["inputs"])]
    blend_hash = hashlib.sha256(json.dumps({"blend": [[d, float(x)] for d, x in zip(digests, w)]}).encode()).hexdigest()[:16]
    meta = submission_metadata(config={"blend": {"inputs": [str(s) for s in submissions], "weights": w.tolist()}},
                               config_hash=blend_hash, blend={"method": details["method"], "inputs": inputs})
    write_submission(df, comp, out, meta)
    console.print(f"wrote [bold]{escape(str(out))}[/] ({len(df)} rows, type {comp.type}, {len(submissions)} "
                  f"submissions, {details['method']})")

    scored = comp.solution_path.exists()
    scores = [score_submission(p, comp.solution_path, comp.metric, n_classes=comp.n_classes)
              for p in [*submissions, out]] if scored else None
    shown = ["public", *(["private"] if private else []), "nmi", "ari"] if scored else []
    header = ["submission", "weight", "agreement", *(k if k in ("public", "private") else k.upper() for k in shown)]
    fmt = resolve_format(fmt)
    digits = 4 if fmt == "table" else 6
    rows = [[str(s), f"{x:g}", f"{e['agreement']:.{digits}f}", *(f"{r[k]:.{digits}f}" for k in shown)]
            for s, x, e, r in zip(submissions, w, details["inputs"], scores or [{}] * len(submissions))]
    rows.append([str(out), "", "", *(f"{scores[-1][k]:.{digits}f}" for k in shown)])
    print_rows(header, rows, fmt, title=f"blend ({comp.name}, {comp.metric})", right=header[1:])
    validation = _validation(comp, df)
    if validation is not None:
        console.print(f"validation {validation:.4f} (knn_agreement, {len(df)} images)")
    nan = float("nan")
    if scored:
        result = scores[-1]
        console.print(f"{result['n_public']} public rows" + (f", {result['n_private']} private rows" if private else
                                                             " (private scores hidden: --private)"))
    else:  # an imported competition: the row has the validation score only, as `kit run` writes it
        result = {"public": nan, "private": nan, "nmi": nan, "ari": nan}
        console.print(f"no offline solution for competition {escape(comp.name)!r}: the blend is validated, not scored")
    if not no_leaderboard:
        added = append_entry(leaderboard, file=str(out), public=result["public"], private=result["private"],
                             nmi=result["nmi"], ari=result["ari"], config_hash=blend_hash, git_commit=git_commit(),
                             competition=comp.name, extra={"config": "blend"},
                             validation=nan if validation is None else validation,
                             validation_kind="" if validation is None else "knn_agreement")
        console.print(f"appended to {escape(str(leaderboard))}" if added else
                      f"already on {escape(str(leaderboard))} (same file, content and inputs)")


def _validation(comp, df) -> float | None:
    """The label-free score `kit run` gives a run without labels (kit.validation's kNN agreement in the
    competition's reference space), for per-image submissions; None for pairs (no label per image)."""
    if comp.type == "pairs":
        return None
    from kit.validation import competition_knn_agreement

    return round(competition_knn_agreement(comp, df["id"].to_numpy(), df["label"].to_numpy(), seed=0), 6)


def _check_not_an_input(out: Path, meta_out: Path, submissions: list[Path]) -> None:
    """The blend never replaces one of its inputs, nor the metadata .json beside one."""
    from kit.competition.leaderboard import same_file
    from kit.errors import ConfigError

    for n, sub in enumerate(submissions, 1):
        for written in (out, meta_out):
            for kept in (sub, sub.with_suffix(".json")):
                if same_file(written, kept):
                    raise ConfigError(f"--out {out} would overwrite {kept} (of input {n}); a blend never overwrites "
                                      "its inputs: choose another file")


def _submission_meta(submission: Path) -> tuple[Path | None, dict]:
    """The .json written beside a submission by `kit submit`, `kit run` or `kit blend` ({} when there is none)."""
    from kit.errors import DataError

    path = submission.with_suffix(".json")
    if not path.is_file():
        return None, {}
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: invalid JSON ({e})") from None
    return path, meta if isinstance(meta, dict) else {}


def _find_competition(submissions: list[Path], metas: list, given: Path | None) -> Path:
    """``--competition``, else the folder the submissions' .json files name; refuses submissions whose .json names
    another competition than the others (or than ``--competition``)."""
    from kit.errors import DataError
    from kit.submit.metadata import resolve_competition_path

    claims = []  # (submission, json path, competition folder, competition name)
    for sub, (meta_path, meta) in zip(submissions, metas):
        if meta.get("competition"):
            claims.append((sub, meta_path, resolve_competition_path(str(meta["competition"]), meta_path),
                           meta.get("competition_name")))
    if given is None:
        existing = [c for c in claims if c[2].is_dir()]
        if not existing:
            raise DataError("pass --competition DIR: no submission has a .json beside it naming an existing "
                            "competition folder")
        reference, ref_name = existing[0][2], existing[0][3]
    else:
        reference, ref_name = given, None
    ref_json = reference / "competition.json"
    if ref_json.is_file():
        try:
            ref_name = json.loads(ref_json.read_text()).get("name", reference.name)
        except (OSError, ValueError, AttributeError):
            pass
    from kit.competition.leaderboard import same_file

    for sub, meta_path, folder, name in claims:
        same = same_file(folder, reference) if folder.is_dir() else (name is not None and name == ref_name)
        if not same:
            raise DataError(f"{sub} is a submission for competition {name or folder.name!r} ({folder}, says "
                            f"{meta_path.name}), not {ref_name or reference.name!r} ({reference}); blend submissions "
                            "of one competition")
    return reference
