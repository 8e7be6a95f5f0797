"""Run an experiment: every part's runs (cached, shared stages, resumable), its figures, and one HTML page.

Every part's runs are checked (configs, model options, competition) before the first one trains, so a typo in
the last part fails in seconds. Runs are ordinary kit runs under runs/, named <base name>-<label>; parts
reuse each other's cached stages (a variant equal to the base trains once for the whole experiment).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from kit.experiments.spec import Experiment, Part, check_figures_against, sweep_sets
from kit.io import check_dir_path, write_json


def part_cells(exp_base_name: str, part: Part):
    from kit.experiments.sweep import UNSAFE, Cell, grid

    if part.sweep is not None:
        return grid(exp_base_name, sweep_sets(part.sweep))
    return [Cell({"variant": label}, {"variant": label}, f"{exp_base_name}-{UNSAFE.sub('_', label)}",
                 [f"{k}={json.dumps(v)}" for k, v in over.items()])
            for label, over in part.variants.items()]


def run_experiment(exp: Experiment, *, out: str | Path = "reports", runs_dir: str | Path = "runs",
                   private: bool = False, console: Console | None = None, seed: int = 0,
                   reveal_public: bool = False) -> Path:
    """Returns the page (OUT/<name>/index.html). ``reveal_public``: colour label figures by the public rows of
    hidden/solution.csv, image by image (as `kit report --reveal-public`); else by labeled.csv only."""
    from kit.config import validate_config
    from kit.errors import ConfigError
    from kit.report import RunContext
    from kit.experiments.figures import draw_figures
    from kit.experiments.page import write_experiment_page
    from kit.experiments.sweep import prepare_cells, run_cells

    console = console or Console(stderr=True)
    try:
        base = validate_config(exp.base)
    except ConfigError as e:
        raise ConfigError(f"{exp.source or exp.name}: base: {e}") from None
    folder = check_dir_path(Path(out) / exp.name)  # a file in the way: one line before the competition is built
    planned, data = [], None
    for part in exp.parts:  # validate all parts before any training
        cells = part_cells(base["name"], part)
        try:
            prepared = prepare_cells(exp.base, base, cells, exp.holdout, console, data)
            data = prepared[2:]  # the competition and hold-out images are the base's: load them once
        except ConfigError as e:
            raise ConfigError(f"{exp.source or exp.name}: part {part.title!r}: {e}") from None
        planned.append((part, cells, prepared))
    comp = data[0]
    try:
        classes = int(comp.n_classes) if comp.type == "label" else None  # class ids of a label competition
        check_figures_against(exp, classes, len(comp.images.ids))
    except ConfigError as e:
        raise ConfigError(f"{exp.source or exp.name}: {e}") from None
    every_run = [c.name for _, cells, _ in planned for c in cells]
    t0 = time.perf_counter()
    results = []
    for i, (part, cells, prepared) in enumerate(planned, 1):
        console.rule(f"[bold]{exp.name}[/] part {i}/{len(planned)}: {part.title}")
        tp = time.perf_counter()
        res = run_cells(exp.base, base, cells, out=folder / part.slug, runs_dir=runs_dir, holdout=exp.holdout,
                        private=private, console=console, source=exp.source, prepared=prepared,
                        share_with=every_run)
        items = [(c.label, RunContext.load(Path(r["run_dir"]), reveal_public=reveal_public))
                 for c, r in zip(cells, res["rows"])]
        tf = time.perf_counter()
        sections = draw_figures(part.figures, items, folder, part.slug, seed)
        stages = stage_folders(ctx for _, ctx in items)
        results.append({"part": part, "rows": res["rows"], "plots": [p for p in res["files"] if p.suffix == ".png"],
                        "sections": sections, "seconds": round(time.perf_counter() - tp, 1),
                        "stages": stages, "compute_seconds": round(sum(stages.values()), 1),
                        "figure_seconds": round(time.perf_counter() - tf, 1)})
    seconds = round(time.perf_counter() - t0, 1)
    every_stage = {k: v for r in results for k, v in r["stages"].items()}
    page = write_experiment_page(folder, exp, results, private, seconds)
    write_json(folder / "experiment.json", {"name": exp.name, "title": exp.title, "source": exp.source,
                                            "seconds": seconds, "compute_seconds": round(sum(every_stage.values()), 1),
                                            "figure_seconds": round(sum(r["figure_seconds"] for r in results), 1),
                                            "private_shown": private,
                                            "parts": [_summary(r) for r in results]})
    console.print(f"experiment {exp.name}: {seconds:.0f} s, page {page}")
    return page


def stage_folders(contexts) -> dict[str, float]:
    """{stage folder: seconds it took when built} over the runs' stages (a stage shared by runs counts once), so
    the cost of an experiment reads the same whether its stages were built now or found in the cache."""
    from kit.experiments.sweep import built_seconds

    return {k: v for ctx in contexts for k, v in built_seconds(ctx.stages).items()}


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    skipped = [s["title"] for s in r["sections"] if "skipped" in s]
    return {"title": r["part"].title, "runs": len(r["rows"]), "seconds": r["seconds"],
            "compute_seconds": r["compute_seconds"], "figure_seconds": r["figure_seconds"], "skipped_figures": skipped}
