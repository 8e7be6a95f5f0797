"""Build the submission rows a competition asks for, validate them like Kaggle would, write atomically."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.values import first_ids
from kit.errors import ConfigError, DataError
from kit.io import atomic_paths, json_text


SAME_CLASS = 0.5  # pairs: "same" when P(same class) = <p_a, p_b> > 1/2, the Bayes rule; no solution needed


def check_same_fraction(value, comp=None, name: str = "same_fraction") -> float | None:
    """``same_fraction``: the share of pairs the competition says are "same" (e.g. 0.5 when it states they are
    balanced). The Bayes rule's 1/2 assumes the model's own prior (about 1/K for K classes), which a balanced pair
    set breaks; a stated share lets the pairs be ranked by <p_a, p_b> instead. With ``comp``, also that it is a
    pairs competition (the config check runs before the competition exists)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ConfigError(f"{name} must be a number between 0 and 1 (exclusive), got {value!r}")
    if comp is not None and comp.type != "pairs":
        raise ConfigError(f"{name} is for pairs competitions; {comp.name!r} is a {comp.type} competition")
    return float(value)


def predictions_for(comp, clusters: dict[str, np.ndarray]) -> dict[str, int]:
    """Per-image prediction: class labels when the metric needs true classes, raw cluster ids otherwise."""
    ids = _check_arrays(clusters)
    _check_ids(comp, ids)
    check_images(comp, clusters)
    if comp.metric == "accuracy":
        if "labels" not in clusters:
            raise DataError(
                f"competition {comp.name!r} is scored by plain accuracy on class labels, but the clusters have no "
                "label mapping: cluster with the competition's labeled images (kit cluster --competition DIR)"
            )
        values = clusters["labels"]
    else:
        values = clusters["clusters"]
    return dict(zip(ids.tolist(), np.asarray(values).astype(int).tolist()))


def _check_arrays(clusters: dict[str, np.ndarray]) -> np.ndarray:
    """One unique id and one integer per image (a 2-D array is not one cluster id per image); returns the ids."""
    ids = np.asarray(clusters["ids"])
    if ids.ndim != 1:
        raise DataError(f"clusters: ids must be one per image (shape (N,)), got shape {ids.shape}")
    ids = ids.astype(str)
    _, first, counts = np.unique(ids, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = str(ids[np.sort(first[counts > 1])[0]])
        raise DataError(f"clusters: id {dup!r} appears {counts.max()} times; one prediction per image")
    for key in ("clusters", "labels"):
        values = clusters.get(key)
        if values is None:
            continue
        values = np.asarray(values)
        if not np.issubdtype(values.dtype, np.integer):
            raise DataError(f"clusters: {key} must be integer ids, got {values.dtype}")
        if values.shape != ids.shape:
            raise DataError(f"clusters: {key} must be one integer per id, shape ({len(ids)},), got shape {values.shape}")
    probs = clusters.get("probabilities")
    if probs is not None and (np.ndim(probs) != 2 or len(probs) != len(ids)):
        raise DataError(f"clusters: probabilities must be shaped ({len(ids)}, K), got shape {np.shape(probs)}")
    return ids


def _check_ids(comp, ids: np.ndarray) -> None:
    """Clusters of another competition whose ids happen to overlap are refused, not silently half-used."""
    unknown = ids[~np.isin(ids, comp.images.ids)]
    if len(unknown):
        raise DataError(f"clusters: {len(unknown)} of {len(ids)} ids are not images of competition {comp.name!r} "
                        f"(first: {first_ids(unknown)}); were they made for another competition?")


def check_images(comp, clusters: dict[str, np.ndarray]) -> str | None:
    """Clusters computed from other images than the competition's are refused, even when their ids coincide (two
    competitions made from one source with other seeds share ids img_00000...). Clusters without a record of their
    images (made by an older kit, or from features kit did not extract) pass: returns a note saying so."""
    from kit.features.files import DIGEST_KEY, recorded_digest

    recorded = recorded_digest(clusters, "clusters")
    if recorded is None:
        return (f"note: the clusters do not record which images they were computed from (no '{DIGEST_KEY}'; an "
                f"older kit or outside features): only their ids were checked against competition {comp.name!r}")
    actual = comp.images.digest()
    if recorded != actual:
        raise DataError(f"clusters: computed from other images than those of competition {comp.name!r} (images "
                        f"digest {recorded[:12]} vs {actual[:12]} of its images.npz), although the ids match: were "
                        "they made for another competition? Extract, reduce and cluster this competition's images")
    return None


def build_submission(comp, clusters: dict[str, np.ndarray], same_fraction: float | None = None) -> pd.DataFrame:
    """Rows in sample_submission order: one per image (label, binary) or one per pair (pairs).

    Pairs: "same" when <p_a, p_b> > 1/2, or, given ``same_fraction``, for that share of the pairs with the
    highest <p_a, p_b> (ties broken by row order, so the count is exact)."""
    same_fraction = check_same_fraction(same_fraction, comp)
    if same_fraction is not None and "probabilities" not in clusters:
        raise ConfigError("same_fraction ranks pairs by their class probabilities, but the clusters have none: "
                          "cluster with method argmax on a refined or finetuned model")
    pred = predictions_for(comp, clusters)
    needed = comp.pairs[["image1", "image2"]].to_numpy().ravel() if comp.type == "pairs" else comp.submission_ids
    missing = [i for i in needed if i not in pred]
    if missing:
        raise DataError(f"no prediction for {len(missing)} images needed by the submission "
                        f"(first: {first_ids(missing)})")
    if comp.type == "pairs":
        pairs = comp.pairs.set_index("id").loc[comp.sample_submission["id"]]
        if "probabilities" in clusters:
            row = {i: n for n, i in enumerate(np.asarray(clusters["ids"]).astype(str).tolist())}
            P = np.asarray(clusters["probabilities"], dtype=np.float64)
            a = np.array([row[i] for i in pairs["image1"].astype(str)])
            b = np.array([row[i] for i in pairs["image2"].astype(str)])
            p_same = (P[a] * P[b]).sum(1)
            same = p_same > SAME_CLASS
            if same_fraction is not None:
                same = np.zeros(len(p_same), dtype=bool)
                same[np.argsort(-p_same, kind="stable")[: int(round(same_fraction * len(p_same)))]] = True
            labels = same.astype(int).tolist()
        else:
            labels = [int(pred[a] == pred[b]) for a, b in zip(pairs["image1"], pairs["image2"])]
    else:
        labels = [pred[i] for i in comp.sample_submission["id"]]
        if comp.label_names is not None:  # Kaggle scores the competition's own label names, not kit's indices
            labels = [comp.label_names[v] if 0 <= v < len(comp.label_names) else str(v) for v in labels]
    id_col, label_col = comp.submission_columns
    return pd.DataFrame({id_col: comp.sample_submission["id"].to_numpy(),
                         label_col: labels if comp.label_names is not None and comp.type != "pairs"
                         else np.asarray(labels, dtype=int)})


def csv_bytes(df: pd.DataFrame, comp) -> bytes:
    """A validated submission's CSV file, byte for byte, under the competition's own header: what write_submission
    writes and what a leaderboard row's digest hashes."""
    return df.set_axis(list(comp.submission_columns), axis=1).to_csv(index=False).encode()


def write_submission(df: pd.DataFrame, comp, out_path: str | Path, metadata: dict | None = None) -> Path:
    """Validate against sample_submission first (nothing is written if invalid), then write CSV + JSON together:
    both or neither, also on a full disk. The CSV has the competition's own header."""
    from kit.competition import validate_submission

    df = validate_submission(df, comp)
    out_path = Path(out_path)
    meta_path = out_path.with_suffix(".json")
    if meta_path == out_path:
        raise ConfigError(f"{out_path}: a submission is a .csv file (its metadata goes to {meta_path.name})")
    meta = {"competition": str(Path(comp.dir).resolve()), "competition_name": comp.name, "type": comp.type,
            "metric": comp.metric, "rows": len(df), **(metadata or {})}
    with atomic_paths(out_path, meta_path) as (csv_tmp, json_tmp):
        csv_tmp.write_bytes(csv_bytes(df, comp))
        json_tmp.write_text(json_text(meta))
    return out_path
