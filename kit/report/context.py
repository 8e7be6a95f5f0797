"""What a report needs from a run folder, loaded once: stages, competition, model, features, labels."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class RunContext:
    run_dir: Path
    stages: dict
    comp: object | None = None
    model_dir: Path | None = None
    _model: object = field(default=None, repr=False)

    @classmethod
    def load(cls, run_dir: str | Path) -> "RunContext":
        run_dir = Path(run_dir)
        stages_path = run_dir / "stages.json"
        stages = json.loads(stages_path.read_text()) if stages_path.exists() else {}
        comp = None
        if stages.get("competition") and (Path(stages["competition"]) / "competition.json").exists():
            from kit.competition import load_competition

            comp = load_competition(stages["competition"])
        model_dir = Path(stages["pretrain"]) if stages.get("pretrain") else None
        return cls(run_dir, stages, comp, model_dir)

    @property
    def name(self) -> str:
        return self.run_dir.name

    def stage_file(self, stage: str, name: str) -> Path | None:
        if not self.stages.get(stage):
            return None
        p = Path(self.stages[stage]) / name
        return p if p.exists() else None

    def model(self):
        if self._model is None and self.model_dir is not None and (self.model_dir / "model.pt").exists():
            from kit.models import load_model

            self._model = load_model(self.model_dir)
        return self._model

    def true_labels(self, ids: np.ndarray) -> np.ndarray | None:
        """Analysis only: labels from the hidden solution (and labeled.csv); -1 where unknown."""
        if self.comp is None or not self.comp.solution_path.exists() or self.comp.type == "pairs":
            return None
        sol = pd.read_csv(self.comp.solution_path, dtype={"id": str})
        truth = dict(zip(sol["id"], sol["label"]))
        if self.comp.labeled is not None:
            truth.update(zip(self.comp.labeled.ids, self.comp.labeled.labels))
        return np.array([truth.get(i, -1) for i in ids])
