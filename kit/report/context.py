"""What a report needs from a run folder, loaded once: stages, competition, model, features, labels.

Nothing here raises for a missing input (only for a folder that is not a run at all): each accessor
returns None and `missing(...)` says why, so the figure that needed it is skipped with that reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kit.errors import DataError


def resolve_stage_path(raw: str, run_dir: Path) -> Path:
    """stages.json paths are relative to the repo root `kit run` ran from: try the cwd, then the folder
    that holds runs/ (run_dir/../..), then the installed repo root; fall back to the path as written."""
    p = Path(raw)
    if p.is_absolute():
        return p
    from kit.paths import REPO_ROOT

    for base in (Path.cwd(), run_dir.resolve().parent.parent, REPO_ROOT):
        if (base / p).exists():
            return base / p
    return p


@dataclass
class RunContext:
    run_dir: Path
    stages: dict[str, Path | None]
    comp: object | None = None
    comp_error: str | None = None
    reveal_public: bool = True  # reference labels: the public solution rows (see kit.report.reference)
    _model: object = field(default=None, repr=False)
    _model_error: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, run_dir: str | Path, *, reveal_public: bool = True) -> "RunContext":
        """``reveal_public``: compare with the public rows of hidden/solution.csv, image by image (research pages
        on competitions made from labeled data); False (`kit report` unless --reveal-public): labeled.csv only."""
        run_dir = Path(run_dir)
        stages_path = run_dir / "stages.json"
        if not stages_path.exists():
            raise DataError(f"{run_dir}: not a run folder (no stages.json); run `kit run CONFIG` first")
        try:
            raw = json.loads(stages_path.read_text())
        except json.JSONDecodeError as e:
            raise DataError(f"{stages_path}: invalid JSON ({e})") from None
        stages = {k: resolve_stage_path(v, run_dir) if v else None for k, v in raw.items()}
        ctx = cls(run_dir, stages, reveal_public=reveal_public)
        comp_dir = stages.get("competition")
        if comp_dir is None:
            ctx.comp_error = f"{stages_path} names no competition"
        elif not (comp_dir / "competition.json").exists():
            ctx.comp_error = f"competition folder {comp_dir} not found"
        else:
            from kit.competition import load_competition

            try:
                ctx.comp = load_competition(comp_dir)
            except DataError as e:
                ctx.comp_error = str(e)
        return ctx

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def model_dir(self) -> Path | None:
        return self.stages.get("pretrain")

    @property
    def images(self) -> np.ndarray | None:
        return None if self.comp is None else self.comp.images.images

    @property
    def class_names(self) -> list[str] | None:
        return None if self.comp is None else self.comp.class_names

    def stage_file(self, stage: str, name: str) -> Path | None:
        d = self.stages.get(stage)
        if d is None or not (d / name).exists():
            return None
        return d / name

    def stage_config(self, stage: str) -> dict | None:
        info = self.stage_file(stage, "stage.json")
        return json.loads(info.read_text()).get("config") if info else None

    def model(self):
        """The pretrained model (None when the run has none or it cannot be loaded; see `model_problem`)."""
        if self._model is None and self._model_error is None:
            if self.model_dir is None:
                self._model_error = "no pretrain stage in this run (raw features or an untrained backbone)"
            elif not (self.model_dir / "model.pt").exists():
                self._model_error = f"{self.model_dir}: no model.pt (pretrain did not finish)"
            else:
                from kit.models import load_model

                self._model = load_model(self.model_dir)
        return self._model

    def autoencoder(self):
        model = self.model()
        if model is not None and not getattr(model, "is_autoencoder", False):
            return None
        return model

    def autoencoder_problem(self) -> str | None:
        """Why there is no autoencoder + images to run figures 1, 4 and 6 on (None when there is)."""
        model = self.model()
        if model is None:
            return self._model_error
        if not getattr(model, "is_autoencoder", False):
            return f"the pretrained model ({type(model).__name__}) is not an autoencoder: it has no decoder"
        if self.images is None:
            return f"no competition images ({self.comp_error})"
        return None

    def latent_features(self, max_n: int = 5000, seed: int = 0) -> np.ndarray | None:
        """The pretrained model's latent codes: extract's features.npz when it holds exactly those,
        else encode (a sample of) the competition images, e.g. when extract kept finetuned logits."""
        cfg = self.stage_config("extract") or {}
        feats = self.stage_file("extract", "features.npz")
        if feats is not None and cfg.get("model") == "pretrain" and cfg.get("kind", "latent") == "latent":
            from kit.features.files import load_features

            z = load_features(feats)[1]
            return z[np.random.default_rng(seed).permutation(len(z))[:max_n]]
        model = self.model()
        if model is None or self.images is None:
            return None
        import torch

        from kit.train.loop import to_tensor

        images = self.images[np.random.default_rng(seed).permutation(len(self.images))[:max_n]]
        with torch.no_grad():
            return torch.cat([model.encode(to_tensor(images[i:i + 512])).flatten(1)
                              for i in range(0, len(images), 512)]).numpy()

    def reference(self):
        """Labels to compare against (labeled.csv, or with ``reveal_public`` the public solution rows; never
        private rows), or None."""
        from kit.report.reference import reference_labels

        return reference_labels(self.comp, self.reveal_public)

    def no_reference(self) -> str:
        """Why there are no reference labels, for a Skip: 'no labeled.csv ...'."""
        if self.reveal_public:
            return "no labeled.csv and no hidden/solution.csv of image labels"
        return ("no labeled.csv (the public rows of hidden/solution.csv are used only with --reveal-public)"
                if self.comp is not None and self.comp.solution_path.exists() else "no labeled.csv")

    def clusters(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(ids, cluster ids) from the cluster stage's clusters.npz, or None when the run has none."""
        f = self.stage_file("cluster", "clusters.npz")
        if f is None:
            return None
        from kit.features.files import load_clusters

        c = load_clusters(f)
        return c["ids"].astype(str), c["clusters"].astype(np.int64)
