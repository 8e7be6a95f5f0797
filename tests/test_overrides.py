"""Dotted key=value overrides: YAML typing, list indexing, one-line errors, and the schema check after them."""
import copy

import pytest
import yaml

from kit.errors import ConfigError
from kit.overrides import apply_overrides, parse_value, split_item
from kit.pipeline.runner import load_run_config

BASE = {
    "name": "digits",
    "seed": 0,
    "competition": {"dir": "competitions/digits", "make": {"source": {"kind": "digits"}, "type": "label"}},
    "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 16}, "epochs": 30, "batch_size": 128},
    "reduce": [{"method": "pca", "n_components": 10}, {"method": "tsne"}],
    "cluster": {"method": "kmeans", "n_clusters": 10},
}


@pytest.mark.parametrize("text,expected", [
    ("20", 20), ("0.5", 0.5), ("1e-3", 0.001), ("-2E4", -20000.0), ("'1e-3'", "1e-3"), ("1.0e-3", 0.001), ("true", True), ("false", False),
    ("[a, b]", ["a", "b"]), ("[32, 32]", [32, 32]), ("{k: v, n: 2}", {"k": "v", "n": 2}), ("null", None),
    ("gmm", "gmm"), ("'20'", "20"), ("runs/x y", "runs/x y"), ("[unclosed", "[unclosed"),
])
def test_values_are_yaml(text, expected):
    value = parse_value(text)
    assert value == expected and type(value) is type(expected)


def test_dotted_keys_set_nested_values_and_index_lists():
    out = apply_overrides(BASE, ["pretrain.epochs=20", "cluster.method=gmm", "reduce.0.n_components=20",
                                 "pretrain.model_kwargs.latent_dim=8", "reduce.1={method: umap, n: 2}",
                                 "description=a=b", "seed=3"])
    assert out["pretrain"]["epochs"] == 20 and out["pretrain"]["batch_size"] == 128
    assert out["cluster"] == {"method": "gmm", "n_clusters": 10}
    assert out["reduce"] == [{"method": "pca", "n_components": 20}, {"method": "umap", "n": 2}]
    assert out["pretrain"]["model_kwargs"] == {"latent_dim": 8}
    assert out["description"] == "a=b" and out["seed"] == 3  # only the first '=' splits


def test_later_items_win_and_input_is_not_modified():
    before = copy.deepcopy(BASE)
    out = apply_overrides(BASE, ["pretrain.epochs=1", "pretrain.epochs=2"])
    assert out["pretrain"]["epochs"] == 2
    assert BASE == before
    out["reduce"][0]["n_components"] = 99  # a deep copy: nothing is shared with the input
    assert BASE["reduce"][0]["n_components"] == 10


def test_missing_sections_are_created():
    out = apply_overrides(BASE, ["finetune.epochs=3", "submit.leaderboard=false"])
    assert out["finetune"] == {"epochs": 3} and out["submit"] == {"leaderboard": False}
    assert apply_overrides({"pretrain": None}, ["pretrain.epochs=1"]) == {"pretrain": {"epochs": 1}}
    assert apply_overrides(None, ["name=x"]) == {"name": "x"}


@pytest.mark.parametrize("item,match", [
    ("pretrain.epochs", "expected key=value"),
    ("=3", "empty key"),
    ("pretrain..epochs=3", "empty part"),
    ("reduce.2.method=pca", "index 2 out of range for reduce (2 items)"),
    ("reduce.-1.method=pca", "index -1 out of range"),
    ("reduce.first.method=pca", "reduce is a list; index it with an integer"),
    ("seed.value=1", "seed is int 0, not a mapping"),
    ("pretrain.epochs.max=3", "pretrain.epochs is int 30"),
    ("reduce.0.method.name=pca", "reduce.0.method is str 'pca'"),
])
def test_errors_are_one_line_config_errors(item, match):
    with pytest.raises(ConfigError) as e:
        apply_overrides(BASE, [item])
    assert match in str(e.value) and "\n" not in str(e.value)
    assert item in str(e.value)  # the message names the offending override


def test_split_item_is_the_shared_syntax():
    assert split_item(" limit = 500", "--opt") == ("limit", 500)
    with pytest.raises(ConfigError, match="--opt: expected key=value"):
        split_item("limit", "--opt")


def test_unknown_keys_are_caught_by_validation_with_a_hint():
    with pytest.raises(ConfigError, match="pretrain: unknown key 'epochz'; did you mean 'epochs'"):
        load_run_config(BASE, ["pretrain.epochz=3"])
    with pytest.raises(ConfigError, match="unknown key 'n_clusterz'; did you mean 'n_clusters'"):
        load_run_config(BASE, ["cluster.n_clusterz=3"])
    with pytest.raises(ConfigError, match="top level: unknown key 'pretrian'; did you mean 'pretrain'"):
        load_run_config(BASE, ["pretrian.epochs=3"])
    with pytest.raises(ConfigError, match="pretrain.epochs must be int"):
        load_run_config(BASE, ["pretrain.epochs=ten"])


def test_overrides_apply_to_a_config_file(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(BASE))
    cfg = load_run_config(path, ["pretrain.epochs=2", "reduce.0.n_components=5", "cluster.method=gmm"])
    assert cfg["pretrain"]["epochs"] == 2 and cfg["reduce"][0]["n_components"] == 5 and cfg["cluster"]["method"] == "gmm"
    assert cfg["submit"]["copy_to"] == "submissions/digits-{id}.csv"  # still validated: defaults are filled
    assert yaml.safe_load(path.read_text()) == BASE  # the file itself is untouched


def test_tilde_deletes_a_key_a_section_or_a_list_item():
    out = apply_overrides(BASE, ["~pretrain.model_kwargs.latent_dim", "~reduce.1", "~seed"])
    assert out["pretrain"]["model_kwargs"] == {} and "seed" not in out
    assert out["reduce"] == [{"method": "pca", "n_components": 10}]
    assert "pretrain" not in apply_overrides(BASE, ["~pretrain"])
    assert "latent_dim" in BASE["pretrain"]["model_kwargs"]  # the input is untouched
    # later items see earlier ones: delete then set, set then delete
    assert apply_overrides(BASE, ["~pretrain", "pretrain.epochs=2"])["pretrain"] == {"epochs": 2}
    assert "epochs" not in apply_overrides(BASE, ["pretrain.epochs=2", "~pretrain.epochs"])["pretrain"]


@pytest.mark.parametrize("item,match", [
    ("~pretrain.epoch", "pretrain has no key 'epoch' to delete; did you mean 'epochs'?"),
    ("~pretrian.epochs", "the config has no key 'pretrian' to delete; did you mean 'pretrain'?"),
    ("~reduce.2", "index 2 out of range for reduce (2 items)"),
    ("~seed.value", "seed is int 0, not a mapping or list"),
    ("~pretrain.epochs=3", "~KEY deletes a key and takes no value; use pretrain.epochs=VALUE"),
    ("~", "empty key after '~'"),
    ("~pretrain..epochs", "empty part"),
])
def test_deleting_what_is_not_there_is_a_one_line_error(item, match):
    with pytest.raises(ConfigError) as e:
        apply_overrides(BASE, [item])
    assert match in str(e.value) and "\n" not in str(e.value) and item in str(e.value)


def test_deleting_gives_the_default_and_null_is_refused_where_the_default_is_not_null(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**BASE, "competition": {"dir": str(tmp_path / "none"),
                                                            "make": BASE["competition"]["make"]}}))
    cfg = load_run_config(path, ["~pretrain.epochs", "~pretrain.model_kwargs"])
    assert "epochs" not in cfg["pretrain"] and "model_kwargs" not in cfg["pretrain"]  # the stage's default applies
    with pytest.raises(ConfigError, match=r"pretrain\.epochs is null; delete the key \(~pretrain\.epochs"):
        load_run_config(path, ["pretrain.epochs=null"])
    assert load_run_config(path, ["submit.copy_to=null"])["submit"]["copy_to"] is None  # null is a value there


@pytest.mark.parametrize("item, where", [("cluster.n_clusters=null", "cluster.kmeans.n_clusters"),
                                         ("reduce.0.n_components=null", "reduce.pca.n_components")])
def test_null_for_a_clusterer_or_reducer_key_is_one_line_not_a_traceback(tmp_path, item, where):
    """Was a TypeError from deep inside the estimator's parameter check ('>=' between None and int)."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**BASE, "competition": {"dir": str(tmp_path / "none"),
                                                            "make": BASE["competition"]["make"]},
                                    "reduce": [{"method": "pca", "n_components": 5}],
                                    "cluster": {"method": "kmeans", "n_clusters": 3}}))
    assert load_run_config(path, [])["cluster"]["n_clusters"] == 3
    with pytest.raises(ConfigError, match=rf"{where.replace('.', r'[.]')} is null; delete the key") as e:
        load_run_config(path, [item])
    assert "\n" not in str(e.value)


def test_parse_spec_is_a_name_then_the_shared_items():
    """NAME:items is a name plus what split_item reads, item by item (oracle: split_item on each part)."""
    from kit.overrides import parse_spec

    text = "class_tree:root=shared:cifar10,resize=[32, 32],limit=1e3,grayscale=true,note='a,b'"
    items = ["root=shared:cifar10", "resize=[32, 32]", "limit=1e3", "grayscale=true", "note='a,b'"]
    assert parse_spec(text, "--x", "kind") == {"kind": "class_tree", **dict(split_item(i, "--x") for i in items)}
    assert parse_spec("pca", "--step", "method") == {"method": "pca"}
    assert parse_spec(" pca : n_components=2 ", "--step", "method") == {"method": "pca", "n_components": 2}


@pytest.mark.parametrize("text, match", [
    ("", r"--step '': expected NAME\[:key=value,...\]"),
    ("n_components=2", r"expected NAME"),
    ("pca,n_components=2", r"expected NAME"),
    ("pca:n_components", r"--step 'pca:n_components': expected key=value, got 'n_components'"),
    ("pca:=2", r"empty key"),
])
def test_parse_spec_errors_are_one_line(text, match):
    from kit.overrides import parse_spec

    with pytest.raises(ConfigError, match=match) as e:
        parse_spec(text, "--step", "method")
    assert "\n" not in str(e.value)
