"""Labels a competitor may compare against: the PUBLIC rows of hidden/solution.csv (offline), else labeled.csv.

Private rows are dropped on reading and never reach a figure: looking at them while choosing a config is
exactly the overfitting the private split exists to catch.
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
    """id,label of the solution's Public rows only."""
    sol = pd.read_csv(path, dtype={"id": str})
    return sol.loc[sol["Usage"] == "Public", ["id", "label"]]


def reference_labels(comp) -> Reference | None:
    """Offline (hidden/solution.csv labels images): its public rows; otherwise the labeled images; else None."""
    if comp is None:
        return None
    if comp.type != "pairs" and comp.solution_path.exists():
        pub = public_solution(comp.solution_path)
        return Reference(pub["id"].to_numpy().astype(str), pub["label"].to_numpy().astype(np.int64),
                         "the public rows of hidden/solution.csv")
    if comp.labeled is not None and len(comp.labeled):
        return Reference(comp.labeled.ids.astype(str), np.asarray(comp.labeled.labels, dtype=np.int64), "labeled.csv")
    return None
