"""Labels a competitor may compare against: the competition's labeled images (labeled.csv); only when asked
(``reveal_public``, `kit report --reveal-public`), the PUBLIC rows of hidden/solution.csv instead.

Kaggle shows a competitor the public score, an aggregate, never the public rows' labels image by image: a figure
coloured by them hands over a third of the answers. Private rows are dropped on reading and never reach a figure:
looking at them while choosing a config is exactly the overfitting the private split exists to catch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Reference:
    ids: np.ndarray  # str image ids
    labels: np.ndarray  # int64 class per id
    source: str  # where the labels come from, for captions

    def labels_for(self, ids) -> np.ndarray:
        """Class per id, -1 where the reference has no label for it."""
        known = dict(zip(self.ids.tolist(), self.labels.tolist()))
        return np.array([known.get(i, -1) for i in np.asarray(ids).astype(str).tolist()], dtype=np.int64)


def public_solution(path) -> pd.DataFrame:
    """id,label of the solution's Public rows only (an imported answer key keeps its own header and label names)."""
    from kit.competition.scoring import read_solution

    sol = read_solution(path)
    return sol.loc[sol["Usage"] == "Public", ["id", "label"]]


def _class_indices(labels: pd.Series, comp) -> np.ndarray:
    """Answer-key labels as class indices: names through the competition's label names (-1 for an unknown name)."""
    if pd.api.types.is_integer_dtype(labels):
        return labels.to_numpy(np.int64)
    index = {name: i for i, name in enumerate(comp.label_names or sorted(set(labels)))}
    return np.array([index.get(v, -1) for v in labels], dtype=np.int64)


def reference_labels(comp, reveal_public: bool = False) -> Reference | None:
    """The labeled images (labeled.csv), else None. ``reveal_public`` (offline, hidden/solution.csv labels images):
    its public rows instead, image by image; hidden/solution.csv is not opened otherwise."""
    if comp is None:
        return None
    if reveal_public and comp.type != "pairs" and comp.solution_path.exists():
        pub = public_solution(comp.solution_path)
        return Reference(pub["id"].to_numpy().astype(str), _class_indices(pub["label"], comp),
                         "the public rows of hidden/solution.csv")
    if comp.labeled is not None and len(comp.labeled):
        return Reference(comp.labeled.ids.astype(str), np.asarray(comp.labeled.labels, dtype=np.int64), "labeled.csv")
    return None
