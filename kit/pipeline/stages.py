"""One function per pipeline stage. Each reads its inputs from files and writes into its own folder."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kit.errors import ConfigError, DataError
from kit.features.files import load_clusters, load_features, save_clusters, save_features
from kit.io import read_json


def build_competition(comp_cfg: dict[str, Any], seed: int, console=None) -> Path:
    """Use the competition folder if it exists (and was built from the same spec), else build it from
    ``competition.make``. A folder built from another spec is an error, not a silent reuse."""
    comp_dir = Path(comp_cfg["dir"])
    from kit.competition.importer import import_competition, import_is_current, is_raw_download

    if is_raw_download(comp_dir):  # a Kaggle download: import it beside itself, again only when it changed
        options = dict(comp_cfg.get("import") or {})
        out = comp_dir.parent / f"{comp_dir.name}.kit"
        if not import_is_current(comp_dir, out, **options):
            if console:
                console.print(f"importing competition download [bold]{comp_dir}[/] -> {out}")
            import_competition(comp_dir, out, overwrite=True, **options)
            if console:
                from rich.markup import escape

                from kit.competition import load_competition

                note = load_competition(out).unlabeled_note()
                if note:
                    console.print(f"[yellow]{escape(note)}[/]", soft_wrap=True)
        return out
    make = dict(comp_cfg.get("make") or {})
    spec = {**make, "seed": make.get("seed", seed)} if make else None
    if (comp_dir / "competition.json").exists():
        _check_same_spec(comp_dir, spec)
        return comp_dir
    if not make:
        raise ConfigError(f"competition folder {comp_dir} does not exist and the config has no competition.make to build it")
    from kit.competition import make_competition
    from kit.data.sources import load_source

    if console:
        console.print(f"building competition [bold]{comp_dir}[/] from {make['source']}")
    source = load_source(dict(make.pop("source")))
    make.setdefault("seed", seed)
    return Path(make_competition(source, comp_dir, source_info=spec["source"], make_spec=spec, **make))


def _check_same_spec(comp_dir: Path, spec: dict | None) -> None:
    from kit.pipeline.cache import hash_obj

    recorded = read_json(comp_dir / "competition.json").get("make")
    if spec is None or recorded is None or hash_obj(recorded) == hash_obj(spec):
        return  # imported or hand-made folders have no spec to compare; a config without make uses what is there
    changed = sorted(k for k in set(spec) | set(recorded) if hash_obj(spec.get(k)) != hash_obj(recorded.get(k)))
    raise ConfigError(f"competition folder {comp_dir} was built from another competition.make spec (differs in: "
                      f"{', '.join(changed)}); delete the folder to rebuild it, or point competition.dir elsewhere")


def pretrain_stage(comp, options: dict[str, Any], seed: int, out_dir: Path) -> Path:
    from kit.train.pretrain import pretrain

    options = {"seed": seed, **options}
    labeled = comp.labeled
    resume = (out_dir / "checkpoints" / "last.pt").exists()  # crash leftovers: continue, lose nothing
    return pretrain(
        comp.images.images, out_dir,
        val_images=None if labeled is None else labeled.images,
        val_labels=None if labeled is None else labeled.labels,
        resume=resume, **options,
    )


def finetune_stage(comp, model_dir: Path, options: dict[str, Any], seed: int, out_dir: Path) -> Path:
    from kit.train.finetune import finetune

    if comp.labeled is None or len(comp.labeled) == 0:
        raise ConfigError(f"finetune needs labeled images, but competition {comp.name!r} has no labeled.csv")
    resume = (out_dir / "checkpoints" / "last.pt").exists()  # crash leftovers: continue, lose nothing
    return finetune(model_dir, comp.labeled.images, comp.labeled.labels, out_dir, resume=resume,
                    **{"seed": seed, **options})


def neighbors_stage(comp, model_dir: Path | str | None, k: int, out_dir: Path, reduce_steps: list | None = None,
                    seed: int = 0, features: str = "model", device: str = "auto") -> Path:
    """k nearest neighbours of every image in the model's feature space (or a descriptor's, ``features`` pixels or
    dsift): an input of the refine stage. ``device`` (refine.device) encodes the images."""
    from kit.io import write_npz
    from kit.refine import mine_neighbors

    return write_npz(out_dir / "neighbors.npz", ids=comp.images.ids.astype(str),
                     indices=mine_neighbors(model_dir, comp.images.images, k, reduce_steps=reduce_steps, seed=seed,
                                            features=features, device=device))


def refine_stage(comp, model_dir: Path | str, neighbors_path: Path | None, options: dict[str, Any], seed: int,
                 out_dir: Path, console=None) -> Path:
    """``n_clusters: auto``: the labeled classes' count, 2 for binary, else chosen in the neighbour features
    (kit.cluster.auto_k) and recorded in model.json's "auto_k"; one line says so (on stderr without ``console``)."""
    from kit.cluster.auto_k import is_auto
    from kit.refine import refine

    if console is None:
        from rich.console import Console

        console = Console(stderr=True)

    options = {"seed": seed, **options}
    auto = None
    if is_auto(options.get("n_clusters")):
        options["n_clusters"], auto = _auto_n_clusters(
            comp, lambda: _refine_features(comp, model_dir, options), seed, console, "refine", len(comp.images.ids))
    if options.get("n_clusters") and comp.labeled is not None and len(comp.labeled) \
            and options["n_clusters"] != comp.n_classes:
        raise ConfigError(f"refine.n_clusters={options['n_clusters']} disagrees with the competition's "
                          f"{comp.n_classes} labeled classes; leave it out to use {comp.n_classes}")
    options.setdefault("n_clusters", default_n_clusters(comp))
    labeled_index = labeled_labels = None
    if comp.labeled is not None and len(comp.labeled):
        labeled_index = labeled_positions(comp.images.ids, comp, comp.dir / "images.npz")
        labeled_labels = comp.labeled.labels
    neighbors = None
    if neighbors_path is not None:
        with np.load(neighbors_path, allow_pickle=False) as z:
            neighbors = z["indices"]
    resume = (out_dir / "checkpoints" / "last.pt").exists()
    path = refine(model_dir, comp.images.images, out_dir, ids=comp.images.ids, neighbors=neighbors,
                  labeled_index=labeled_index, labeled_labels=labeled_labels, resume=resume, **options)
    if labeled_labels is not None:
        with np.load(Path(path) / "probabilities.npz", allow_pickle=False) as z:
            _report_uncovered(console, comp, z["probabilities"].argmax(1), "refine")
    if auto is not None:  # model.json says how K was chosen
        from kit.io import write_json

        meta = read_json(Path(path) / "model.json")
        write_json(Path(path) / "model.json", {**meta, "auto_k": auto})
    return path


def _refine_features(comp, model_dir: Path | str, options: dict[str, Any]) -> np.ndarray:
    """What refine mines neighbours in (a descriptor, or the model's features), for a seeded sample of the images
    (enough for choose_k's subsamples)."""
    from kit.cluster.auto_k import MAX_ROWS, N_REPEATS
    from kit.reduce.subsample import subsample_index
    from kit.refine.neighbors import describe

    images = comp.images.images[subsample_index(len(comp.images.ids), MAX_ROWS * N_REPEATS, options["seed"])]
    features = options.get("neighbor_features", "model")
    if features != "model":
        return describe(features, images)
    from kit.refine.model import is_fresh

    if is_fresh(model_dir):
        raise ConfigError(f"refine.n_clusters auto is chosen in the neighbour features, and a fresh {model_dir}'s "
                          "own are random: set refine.neighbor_features: dsift (or pixels)")
    from kit.models import load_model
    from kit.refine.model import checked_model_dir, encoder_of
    from kit.train.inference import batched
    from kit.train.loop import pick_device

    dev = pick_device(options.get("device", "auto"))
    encoder = encoder_of(load_model(checked_model_dir(model_dir), device="cpu")).to(dev).eval()
    return batched(encoder.encode, images, dev)


def extract_stage(comp, model: str | Path, options: dict[str, Any], out_dir: Path) -> Path:
    from kit.train.extract import extract_features

    kwargs = {k: v for k, v in options.items() if k != "model"}
    return extract_features(str(model), comp.images, out_dir / "features.npz", **kwargs)


def npz_shape(path: Path | str, key: str) -> tuple[int, ...] | None:
    """Shape of array ``key`` of an .npz, read from its .npy header alone (no data is read); None when the file
    cannot tell (missing, not an npz, no such array): whoever loads it then says why."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf, zf.open(f"{key}.npy") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape = read(f)[0]
    except Exception:  # noqa: BLE001  any unreadable file: the loader's own error is the one to show
        return None
    return tuple(int(s) for s in shape)


def features_shape(path: Path | str) -> tuple[int, int] | None:
    """(N, D) of a features/embedding .npz from its header; None when unknown or not 2-D."""
    shape = npz_shape(path, "features")
    return shape if shape is not None and len(shape) == 2 else None


def check_reduce(features_path: Path | str, steps: list[dict], seed: int) -> None:
    """The reduce steps' sizes against the features' (N, D), before the stage makes its folder or fits anything."""
    shape = features_shape(features_path)
    if shape is not None and steps:
        from kit.reduce import check_shapes

        check_shapes(steps, *shape, seed=seed)


def reduce_stage(features_path: Path, steps: list[dict], seed: int, out_dir: Path, *, out_name: str = "embedding.npz",
                 view_2d: bool = True, console=None) -> Path:
    """Chain the reduction steps (`kit run` and `kit reduce` both land here); with ``view_2d`` also keep a cheap
    2-D PCA view for plots when the result is not 2-D. ``console``: one line at the start, per step and at the end."""
    import time

    from kit.reduce import reduce

    ids, X = load_features(features_path)
    chain = " -> ".join(str(s.get("method")) for s in steps) if steps else "none (features kept as they are)"
    _say(console, f"reduce: {chain} on {X.shape[0]} x {X.shape[1]}")
    t0 = time.perf_counter()

    def on_step(i: int, spec: dict) -> None:
        _say(console, f"reduce: step {i + 1}/{len(steps)} {spec['method']} (at {time.perf_counter() - t0:.1f}s)")

    Z = reduce(X, steps, seed=seed, on_step=on_step if len(steps) > 1 else None) if steps else X
    out = save_features(Path(out_dir) / out_name, ids, Z, source=features_path)  # carries the images' digest
    if view_2d and Z.shape[1] != 2:
        from sklearn.decomposition import PCA

        view = PCA(2, random_state=seed).fit_transform(Z) if Z.shape[1] > 2 else np.c_[Z, np.zeros(len(Z))]
        save_features(Path(out_dir) / "embedding_2d.npz", ids, view, source=features_path)
    _say(console, f"reduce: done, {Z.shape[0]} x {Z.shape[1]} in {time.perf_counter() - t0:.1f}s")
    return out


def cluster_stage(comp, embedding_path: Path, spec: dict[str, Any], seed: int, out_dir: Path, *,
                  out_name: str = "clusters.npz", mapping: str = "majority", smooth_k: int = 0,
                  smooth_alpha: float = 0.8, neighbors: Path | None = None, console=None) -> Path:
    """Cluster every image (`kit run` and `kit cluster` both land here); map cluster ids to classes with the
    competition's labeled images when there are any. ``comp`` None: no competition, k defaults to 10, no labels.
    ``smooth_k``: vote on each image's class with its nearest neighbours' (kit.cluster.smoothing), taken from
    ``neighbors`` (a neighbors.npz) when given, else from the clustered features."""
    import time

    from kit.cluster import fit_clusterer
    from kit.cluster.auto_k import is_auto
    from kit.cluster.label_mapping import apply_mapping, map_clusters_to_labels

    ids, X = load_features(embedding_path)
    spec = dict(spec)
    auto = None
    if is_auto(spec.get("n_clusters")):  # the labeled classes' count, 2 for binary, else chosen in X
        if spec.get("method") == "argmax":  # class logits: one cluster per column, nothing to choose
            spec["n_clusters"] = X.shape[1]
            _say(console, f"cluster: n_clusters auto: {X.shape[1]} (argmax: one cluster per column of the logits)")
        else:
            spec["n_clusters"], auto = _auto_n_clusters(comp, lambda: X, seed, console, "cluster", len(X))
    if spec.get("method") == "argmax":  # one cluster per column of the logits unless told otherwise (then checked)
        spec.setdefault("n_clusters", X.shape[1])
    spec.setdefault("n_clusters", 10 if comp is None else default_n_clusters(comp))
    has_labels = comp is not None and comp.labeled is not None and len(comp.labeled) > 0
    y = None
    if has_labels:  # -1 = unknown; methods that learn from labels use the rest, the others ignore y
        index = labeled_positions(ids, comp, embedding_path)
        y = np.full(len(ids), -1, dtype=np.int64)
        y[index] = comp.labeled.labels
    neighbours = None
    if smooth_k:  # before clustering: a neighbours file that does not fit fails first, not after the work
        from kit.cluster.smoothing import neighbour_indices

        neighbours = neighbour_indices(X, ids, smooth_k, neighbors, seed)
    _say(console, f"cluster: {spec['method']} (k={spec['n_clusters']}) on {X.shape[0]} x {X.shape[1]}"
                  + (f", {int((y >= 0).sum())} labeled" if y is not None else ""))
    t0 = time.perf_counter()
    est = fit_clusterer(X, spec, seed=seed, y=y)
    steps = getattr(est, "n_scan_steps_", None)
    if steps is not None:
        from kit.cluster.scan import MIN_SCAN_STEPS

        if steps < MIN_SCAN_STEPS:
            _say(console, f"cluster: the scan heads got only {steps} optimizer steps ({len(X)} rows, {est.epochs} "
                          f"epochs); SCAN needs about {MIN_SCAN_STEPS}: raise cluster.epochs or lower "
                          "cluster.batch_size")
    clusters = np.asarray(est.labels_, dtype=np.int64)
    probabilities = getattr(est, "probabilities_", None)  # kept for pairs: P(same class) = <p_a, p_b>
    if spec["method"] == "argmax":  # class logits: softmax
        e = np.exp(X - X.max(1, keepdims=True))
        probabilities = e / e.sum(1, keepdims=True)
    if neighbours is not None:
        probabilities, clusters = _smooth(clusters, probabilities, neighbours, smooth_k, smooth_alpha, console)
    _, sizes = np.unique(clusters, return_counts=True)
    _say(console, f"cluster: done, {len(sizes)} clusters (sizes {sizes.min()}..{sizes.max()}) "
                  f"in {time.perf_counter() - t0:.1f}s")
    labels = None
    if spec["method"] == "argmax":  # class logits: cluster ids already are class indices
        labels = clusters
    elif getattr(est, "labels_are_classes_", False):  # the method learned from the labels: ids are classes
        labels = clusters
    elif has_labels:
        mapped = map_clusters_to_labels(clusters, index, comp.labeled.labels, int(comp.n_classes), method=mapping)
        labels = apply_mapping(clusters, mapped)
        agree = float((labels[index] == comp.labeled.labels).mean())
        _say(console, f"cluster: mapped clusters to classes with {len(index)} labeled images "
                      f"({agree:.1%} of them agree)")
    if has_labels and labels is not None:
        _report_uncovered(console, comp, labels, "cluster")
    path = save_clusters(Path(out_dir) / out_name, ids, clusters, labels, probabilities, source=embedding_path)
    if auto is not None:  # clusters.npz says how K was chosen
        from kit.io import write_npz

        with np.load(path, allow_pickle=False) as z:
            arrays = {key: z[key] for key in z.files}
        write_npz(path, **arrays, auto_k=np.int64(auto["n_clusters"]), auto_k_source=np.str_(auto["source"]),
                  **({"auto_k_candidates": np.asarray(auto["k"], np.int64),
                      "auto_k_scores": np.asarray(auto["score"], np.float64)} if "k" in auto else {}))
    return path


def _smooth(clusters, probabilities, neighbours: tuple, k: int, alpha: float, console):
    """(probabilities, clusters) after neighbour smoothing; one-hot clusters stand in for missing probabilities.
    ``neighbours``: (indices, where they come from), from kit.cluster.smoothing.neighbour_indices."""
    from kit.cluster.smoothing import smooth_clusters

    indices, source = neighbours
    probabilities, smoothed = smooth_clusters(probabilities, clusters, indices, alpha)
    _say(console, f"cluster: smoothed over {k} of {source} (alpha {alpha}): "
                  f"{int((smoothed != clusters).sum())} images changed cluster")
    return probabilities, smoothed


def _say(console, msg: str) -> None:
    """One plain progress line inside `kit run` (no rich markup: paths and ids may contain brackets)."""
    if console is not None:
        console.print(msg, markup=False, highlight=False)


def hold_out_labels(comp, fraction: float, seed: int):
    """(the competition without a seeded share of its labeled images, the held-out ids): stratified by class when
    every class can give one, so the held-out share scores every class the training saw."""
    import dataclasses

    from sklearn.model_selection import train_test_split

    labels = np.asarray(comp.labeled.labels)
    n = len(labels)
    n_held = int(round(fraction * n))
    if n_held < 1 or n_held >= n:
        raise ConfigError(f"validate.holdout={fraction} of {n} labeled images holds out {n_held}: it must keep at "
                          "least one for training and hold out at least one")
    classes, counts = np.unique(labels, return_counts=True)
    stratify = labels if counts.min() >= 2 and min(n_held, n - n_held) >= len(classes) else None
    train, held = train_test_split(np.arange(n), test_size=n_held, random_state=seed, stratify=stratify)
    train, held = np.sort(train), np.sort(held)
    return dataclasses.replace(comp, labeled=comp.labeled.subset(train)), comp.labeled.ids[held].astype(str)


def labeled_positions(ids: np.ndarray, comp, where: Path | str) -> np.ndarray:
    """Row of each of the competition's labeled images in ``ids`` (the rows of ``where``)."""
    row = {i: n for n, i in enumerate(np.asarray(ids).tolist())}
    missing = [str(i) for i in comp.labeled.ids.tolist() if i not in row]  # plain str: no np.str_('...') shown
    if missing:
        raise DataError(f"{where}: labeled image {missing[0]!r} of competition {comp.name!r} has no row "
                        f"({len(missing)} missing)")
    return np.array([row[i] for i in comp.labeled.ids.tolist()], dtype=np.int64)


def default_n_clusters(comp) -> int:
    return 2 if comp.type == "binary" else int(comp.n_classes)


def known_n_clusters(comp) -> tuple[int, str, str] | None:
    """(K, source, why) that ``n_clusters: auto`` takes from the competition itself: the labeled classes' count when
    it has labeled images, 2 for binary (its answer is one of two groups); None when only the data can tell."""
    if comp is None:
        return None
    if comp.type == "binary":
        return 2, "binary", "a binary competition's two groups"
    if comp.labeled is not None and len(comp.labeled):
        return int(comp.n_classes), "labels", f"the competition's {int(comp.n_classes)} labeled classes"
    return None


def _auto_n_clusters(comp, features, seed: int, console, where: str, n_total: int) -> tuple[int, dict[str, Any]]:
    """K for ``n_clusters: auto`` and its record; ``features()`` gives the rows to choose in (called only when the
    competition does not tell K). One line on ``console``."""
    from kit.cluster.auto_k import PIPELINE_K_MIN, choose_k, describe_choice, record

    known = known_n_clusters(comp)
    if known is not None:
        k, source, why = known
        _say(console, f"{where}: n_clusters auto: {k} ({why})")
        return k, {"n_clusters": k, "source": source}
    k, table = choose_k(features(), k_min=PIPELINE_K_MIN, seed=seed)
    _say(console, f"{where}: n_clusters auto: {describe_choice(k, table, n_total)}")
    return k, record(k, table, "data")


def _report_uncovered(console, comp, predicted: np.ndarray, where: str) -> None:
    """One line naming the labeled classes that no image is predicted as (no cluster maps to them)."""
    missing = np.setdiff1d(np.unique(comp.labeled.labels), np.asarray(predicted)).tolist()
    if missing:
        names = getattr(comp, "class_names", None) or []
        shown = ", ".join(f"{c} ({names[c]})" if c < len(names) else str(c) for c in missing)
        _say(console, f"{where}: {len(missing)} labeled class{'es' if len(missing) > 1 else ''} covered by no "
                      f"cluster after mapping: {shown}")


def submit_stage(comp, clusters_path: Path, out_dir: Path, metadata: dict[str, Any],
                 same_fraction: float | None = None) -> Path:
    from kit.submit import build_submission, write_submission

    df = build_submission(comp, load_clusters(clusters_path), same_fraction)
    return write_submission(df, comp, out_dir / "submission.csv", metadata)
