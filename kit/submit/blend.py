"""Blend submissions of one competition into one: the Kaggle ensemble of submission files.

Each row (an image, or a pair) gets the (weighted) majority label of the inputs. What "the same label" means
depends on the metric:

- ``cluster_accuracy`` (cluster ids are arbitrary): every input's ids are first renamed to the first input's by
  Hungarian matching on the contingency table of the two labelings (``align_labels``); a cluster that shares no
  image with a cluster of the first input gets a label of its own, so it never votes for an unrelated cluster.
- ``binary_accuracy`` (two sources, max(acc, 1 - acc)): an input that agrees with the first on fewer than half of
  the rows is flipped first (``align_binary``).
- ``accuracy`` (class indices or the competition's label names) and pairs ("same" is absolute): voted as written.

Ties go to the label of the highest-weight input among those voting for a tied label, and among equal weights to
the earliest one.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from kit.errors import ConfigError, KitError, SubmissionError

_MAX_MAPPING = 1000  # metadata records each input's renaming when it has at most this many labels


def check_weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    """One positive, finite weight per input (default: equal weights)."""
    if weights is None:
        return np.ones(n)
    weights = list(weights)
    if len(weights) != n:
        raise ConfigError(f"--vote-weights: {n} submissions need {n} weights, got {len(weights)}")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)) or not math.isfinite(w) \
                or w <= 0:
            raise ConfigError(f"--vote-weights: every weight must be a positive number, got {w!r}")
    return np.asarray(weights, dtype=np.float64)


def parse_weights(text: str | None) -> list[float] | None:
    """``"0.5,0.3,0.2"`` -> [0.5, 0.3, 0.2]; None stays None (equal weights)."""
    if text is None:
        return None
    from kit.overrides import split_top_level

    out = []
    for part in split_top_level(text):
        try:
            out.append(float(part.strip()))
        except ValueError:
            raise ConfigError(f"--vote-weights: expected comma-separated numbers such as 0.5,0.3,0.2, got {text!r}") from None
    return out


def align_labels(reference, other, *, avoid=(), names: Sequence | None = None):
    """``other``'s labels renamed to ``reference``'s by the one-to-one matching with the most shared rows
    (scipy's linear_sum_assignment on their contingency table).

    Arrays are taken row by row (same length); two ``pd.Series`` are matched over their shared index and the whole
    of ``other`` is renamed (a Series comes back). A label of ``other`` left unmatched, or matched to a reference
    label it shares no row with, gets a new label: one that is not a reference label nor in ``avoid`` (integers
    past the largest one; with ``names``, the first unused of those names, so the result stays a valid label).
    """
    if isinstance(reference, pd.Series) and isinstance(other, pd.Series):
        shared = reference.index.intersection(other.index)
        mapping = label_mapping(reference.loc[shared].to_numpy(), other.loc[shared].to_numpy(),
                                avoid=set(avoid) | set(_objects(reference.to_numpy()).tolist()), names=names,
                                extra=other.to_numpy())
        return pd.Series(_renamed(other.to_numpy(), mapping), index=other.index, name=other.name)
    ref, oth = _objects(reference), _objects(other)
    if len(ref) != len(oth):
        raise ValueError(f"align_labels: {len(ref)} reference labels but {len(oth)} others; pass pd.Series to match "
                         "them by id")
    return _renamed(oth, label_mapping(ref, oth, avoid=avoid, names=names))


def _renamed(values, mapping: dict) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [mapping[v] for v in _objects(values)]
    return out


def label_mapping(reference, other, *, avoid=(), names=None, extra=None) -> dict:
    """{label of ``other``: its label after alignment to ``reference``} (see ``align_labels``); ``extra``: more
    labels of ``other`` (rows not shared with the reference) that need a name too."""
    ref_codes, ref_values = pd.factorize(_objects(reference))
    oth_codes, oth_values = pd.factorize(_objects(other))
    counts = np.zeros((len(oth_values), len(ref_values)), dtype=np.int64)
    np.add.at(counts, (oth_codes, ref_codes), 1)
    rows, cols = linear_sum_assignment(-counts) if counts.size else (np.array([], int), np.array([], int))
    mapping = {oth_values[r]: ref_values[c] for r, c in zip(rows, cols) if counts[r, c] > 0}
    unmatched = [v for v in oth_values if v not in mapping]
    if extra is not None:
        seen = set(unmatched)
        unmatched += [v for v in pd.unique(_objects(extra)) if v not in mapping and v not in seen]
    used = set(ref_values.tolist()) | set(avoid)
    for value, new in zip(unmatched, _new_labels(len(unmatched), used, set(mapping.values()), names)):
        mapping[value] = new
    return mapping


def _new_labels(count: int, used: set, taken: set, names) -> list:
    """``count`` labels outside ``used``: the competition's unused names (then any name no other label took), or
    integers past the largest integer in ``used``."""
    if not count:
        return []
    if names is not None:
        free = [n for n in names if n not in used] + [n for n in names if n in used and n not in taken]
        if len(free) < count:
            raise SubmissionError(f"cannot align: {count} labels need a name but only {len(free)} of the "
                                  "competition's label names are free")
        return free[:count]
    ints = [int(v) for v in used if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]
    start = max(ints, default=-1) + 1
    out, n = [], start
    while len(out) < count:
        if n not in used and str(n) not in used:
            out.append(n)
        n += 1
    return out


def align_binary(reference, other, values: Sequence = (0, 1)) -> tuple[np.ndarray, bool]:
    """``other`` with its two labels swapped when it agrees with ``reference`` on fewer than half of the rows (a
    binary competition scores max(acc, 1 - acc), so which source is called 0 is arbitrary); and whether it was."""
    ref, oth = _objects(reference), _objects(other)
    if len(ref) != len(oth):
        raise ValueError(f"align_binary: {len(ref)} reference labels but {len(oth)} others")
    if not len(ref) or np.mean(ref == oth) >= 0.5:
        return oth, False
    a, b = values
    flipped = np.empty(len(oth), dtype=object)
    flipped[:] = [b if v == a else a if v == b else v for v in oth]
    return flipped, True


def vote(columns: Sequence, weights: Sequence[float] | None = None) -> np.ndarray:
    """The weighted majority label of each row over ``columns`` (one label array per input, aligned already).
    A tie goes to the label of the highest-weight input voting for a tied label, then to the earliest input."""
    k = len(columns)
    w = check_weights(weights, k)
    n = len(columns[0])
    if any(len(c) != n for c in columns):
        raise ValueError("vote: every input needs one label per row")
    codes, uniques = pd.factorize(np.concatenate([_objects(c) for c in columns]))
    codes = codes.reshape(k, n)
    support = np.zeros((k, n))  # support[s, i]: the weight behind input s's label on row i
    for s in range(k):
        for t in range(k):
            support[s] += w[t] * (codes[t] == codes[s])
    best = support.max(axis=0)
    winner = np.full(n, -1)
    for s in sorted(range(k), key=lambda s: (-w[s], s)):
        hit = (winner < 0) & np.isclose(support[s], best, rtol=1e-9, atol=0.0)
        winner[hit] = codes[s][hit]
    out = np.empty(n, dtype=object)
    out[:] = np.asarray(uniques, dtype=object)[winner] if n else []
    return out


def blend(frames: Sequence, competition, weights: Sequence[float] | None = None, *,
          names: Sequence[str] | None = None) -> pd.DataFrame:
    """The blended submission (the competition's header, sample_submission's rows and order) of ``frames``:
    submissions of ``competition`` as CSV paths or DataFrames with its header. See the module docstring."""
    return blend_details(frames, competition, weights, names=names)[0]


def blend_details(frames: Sequence, competition, weights: Sequence[float] | None = None, *,
                  names: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """``blend`` and what it did: {"method", "inputs": [{"weight", "agreement", and "flipped" (binary) or
    "mapping" (cluster ids of the second and later inputs, input label -> blend label)}]}. ``agreement``: the
    competition's metric of the input against the blend (cluster accuracy for cluster ids, max(acc, 1 - acc) for
    binary)."""
    from kit.competition import validate_submission

    comp = competition
    if len(frames) < 2:
        raise ConfigError(f"a blend needs at least two submissions, got {len(frames)}")
    names = list(names) if names is not None else [str(f) if not isinstance(f, pd.DataFrame) else f"submission {i + 1}"
                                                   for i, f in enumerate(frames)]
    w = check_weights(weights, len(frames))
    labels = []
    for name, frame in zip(names, frames):
        try:
            labels.append(_objects(validate_submission(frame, comp)["label"].to_numpy()))
        except KitError as e:
            message = str(e)
            raise type(e)(message if message.startswith(f"{name}:") else f"{name}: {message}") from None
    method = _method(comp)
    info = [{"weight": float(x)} for x in w]
    aligned = [labels[0]]
    if method == "hungarian":
        new: set = set()
        for entry, lab in zip(info[1:], labels[1:]):
            mapping = label_mapping(labels[0], lab, avoid=new, names=comp.label_names)
            new |= set(mapping.values()) - set(labels[0].tolist())
            aligned.append(_renamed(lab, mapping))
            if len(mapping) <= _MAX_MAPPING:
                entry["mapping"] = {str(k): _plain(v) for k, v in mapping.items()}
    elif method == "flip":
        values = tuple(comp.label_names) if comp.label_names is not None else (0, 1)
        info[0]["flipped"] = False
        for entry, lab in zip(info[1:], labels[1:]):
            flipped, entry["flipped"] = align_binary(labels[0], lab, values)
            aligned.append(flipped)
    else:
        aligned = labels
    blended = vote(aligned, w)
    for entry, lab in zip(info, labels):
        entry["agreement"] = agreement(lab, blended, comp.metric)
    id_col, label_col = comp.submission_columns
    values = blended if comp.label_names is not None and comp.type != "pairs" else _integers(blended)
    df = pd.DataFrame({id_col: comp.sample_submission["id"].astype(str).to_numpy(), label_col: values})
    return df, {"method": method, "inputs": info}


def agreement(labels, blended, metric: str) -> float:
    """The competition's metric of ``labels`` with the blend as the answer key, over all rows."""
    from kit.competition.scoring import METRICS

    codes, _ = pd.factorize(np.concatenate([_objects(blended), _objects(labels)]).astype(str))
    n = len(blended)
    return round(float(METRICS[metric](codes[:n], codes[n:])), 6)


def _method(comp) -> str:
    if comp.type == "binary":
        return "flip"
    if comp.type == "label" and comp.metric == "cluster_accuracy":
        return "hungarian"
    return "vote"


def _objects(values) -> np.ndarray:
    """Labels as an object array of plain Python values (ints of any size, or text)."""
    values = np.asarray(values, dtype=object)
    out = np.empty(len(values), dtype=object)
    out[:] = [v.item() if isinstance(v, np.generic) else v for v in values]
    return out


def _integers(values: np.ndarray) -> np.ndarray:
    """int64 when every label fits, else object ints (cluster ids past int64 stay exact)."""
    try:
        return np.asarray(values.tolist(), dtype=np.int64)
    except OverflowError:
        return values


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
