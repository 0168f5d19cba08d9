import keras
import numpy as np
import pytest
import tensorflow as tf

from ms_bridge import registry
from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec, get_spec
from ms_bridge.layers.bridge import BRIDGE_LOCATIONS
from ms_bridge.model import VARIANTS, build_ms_bridge, dense_variables, embedding_variables, resolve_config

VOCAB = {"user_id": 30, "item_id": 60, "artist_id": 12}
SPOTIFY = get_spec("spotify")
SPOTIFY_USER = ["pct_listening", "num_times_listening", "feedback_type", "in_playlist"]
SPOTIFY_ARTIST = ["new_fan", "recurring_fan"]
THREE = DatasetSpec(
    name="three_sided", stakeholders=("user", "artist", "platform"),
    objectives=(ObjectiveSpec("pct_listening", "user", "bounded"), ObjectiveSpec("is_skip", "user", "binary"),
                ObjectiveSpec("new_fan", "artist", "bounded"), ObjectiveSpec("revenue", "platform", "nonneg")),
    engagement="pct_listening", positive_rule=("pct_listening", 0.5))


def _ids(n, vocab=VOCAB, seed=0):
    rng = np.random.default_rng(seed)
    return {f: rng.integers(0, size, n).astype("int32") for f, size in vocab.items()}


def _parents(model, name):
    return [p.operation.name for node in model.get_layer(name)._inbound_nodes for p in node.parent_nodes]


def _ancestors(model, name):
    seen, stack = set(), [name]
    while stack:
        for parent in _parents(model, stack.pop()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _tower_layers(model, tower):
    return {f"{tower}_{part}" for part in BRIDGE_LOCATIONS + ("bridge", "bridge_concat")}


@pytest.mark.parametrize("location", BRIDGE_LOCATIONS)
def test_bridge_wiring_three_stakeholders(location):
    model = build_ms_bridge(THREE, VOCAB, {"bridge_location": location})
    towers = THREE.stakeholders
    heads = {"user": ["pct_listening", "is_skip"], "artist": ["new_fan"], "platform": ["revenue"]}
    k = BRIDGE_LOCATIONS.index(location)
    before, after = BRIDGE_LOCATIONS[:k + 1], BRIDGE_LOCATIONS[k + 1:]
    assert sorted(l.name for l in model.layers if l.name.endswith("_bridge")) == sorted(f"{t}_bridge" for t in towers)
    for tower in towers:
        others = [t for t in towers if t != tower]
        # the bridge reads this tower's and every other tower's layer-L activation, nothing else
        assert _parents(model, f"{tower}_bridge_concat") == [f"{tower}_{location}"] + [f"{t}_{location}" for t in others]
        assert _parents(model, f"{tower}_bridge") == [f"{tower}_bridge_concat"]
        # the next layer (the heads after `output`) reads the bridge only
        following = [f"{tower}_{after[0]}"] if after else heads[tower]
        for name in following:
            assert _parents(model, name) == [f"{tower}_bridge"]
        # layers up to L see no other tower; layers after L see the others only up to L
        for loc in before:
            assert not any(_tower_layers(model, t) & _ancestors(model, f"{tower}_{loc}") for t in others)
        for name in [f"{tower}_{loc}" for loc in after] + heads[tower]:
            ancestors = _ancestors(model, name)
            for t in others:
                assert {f"{t}_{loc}" for loc in before} <= ancestors
                assert not {f"{t}_{loc}" for loc in after} & ancestors
                assert f"{t}_bridge" not in ancestors


def test_no_bridge_keeps_towers_apart():
    model = build_ms_bridge(THREE, VOCAB, {"bridge_location": "none"})
    assert not [l for l in model.layers if "bridge" in l.name]
    for tower, head in (("user", "is_skip"), ("artist", "new_fan"), ("platform", "revenue")):
        ancestors = _ancestors(model, head)
        assert f"{tower}_top" in ancestors
        assert not any(_tower_layers(model, t) & ancestors for t in THREE.stakeholders if t != tower)
    assert resolve_config({"bridge_topology": "none"})["bridge_location"] == "middle"
    topology_off = build_ms_bridge(THREE, VOCAB, {"bridge_topology": "none"})
    assert not [l for l in topology_off.layers if "bridge" in l.name]


def test_tower_sizes_and_bridge_widths():
    model = build_ms_bridge(THREE, VOCAB, {})
    widths = {name: model.get_layer(name).units for name in
              ["user_input", "user_bottom", "user_middle", "user_top", "artist_input", "artist_bottom",
               "artist_middle", "artist_top", "platform_top", "user_output", "artist_output", "user_bridge",
               "artist_bridge", "platform_bridge", "shared_bottom_1"]}
    assert widths == {"user_input": 64, "user_bottom": 64, "user_middle": 32, "user_top": 16,
                      "artist_input": 32, "artist_bottom": 32, "artist_middle": 16, "artist_top": 8,
                      "platform_top": 16, "user_output": 2, "artist_output": 1, "user_bridge": 32,
                      "artist_bridge": 16, "platform_bridge": 32, "shared_bottom_1": 64}
    assert model.get_layer("user_embedding").output_dim == 40
    custom = build_ms_bridge(THREE, VOCAB, {"tower_units": {"artist": (8, 8, 6, 4)}, "bridge_location": "top"})
    assert custom.get_layer("artist_top").units == 4 and custom.get_layer("user_top").units == 16
    assert custom.get_layer("artist_bridge").units == 4
    output = build_ms_bridge(SPOTIFY, VOCAB, {"bridge_location": "output"})
    assert output.get_layer("user_bridge").units == 4 and output.get_layer("user_bridge").activation.__name__ == "linear"


def _single_objective_edges(model):
    return {l.name[:-len("_bridge_concat")]: _parents(model, l.name)[1:]
            for l in model.layers if l.name.endswith("_bridge_concat")}


def test_single_objective_towers():
    model = registry.build_model("single_objective_towers", SPOTIFY, VOCAB)
    assert not [l for l in model.layers if "bridge" in l.name]
    for objective in SPOTIFY.objective_names:
        assert _parents(model, objective) == [f"{objective}_output"]
        assert model.get_layer(f"{objective}_output").units == 1
        ancestors = _ancestors(model, objective)
        assert not any(_tower_layers(model, o) & ancestors for o in SPOTIFY.objective_names if o != objective)
    assert model.get_layer("new_fan_top").units == 8 and model.get_layer("pct_listening_top").units == 16


@pytest.mark.parametrize("slug, order, loop", [
    ("chain_user_to_artist", SPOTIFY_USER + SPOTIFY_ARTIST, False),
    ("chain_user_to_artist_loop", SPOTIFY_USER + SPOTIFY_ARTIST, True),
    ("chain_artist_to_user", SPOTIFY_ARTIST + SPOTIFY_USER, False),
    ("chain_artist_to_user_loop", SPOTIFY_ARTIST + SPOTIFY_USER, True),
])
def test_chains(slug, order, loop):
    model = registry.build_model(slug, SPOTIFY, VOCAB)
    expected = {order[k]: [f"{order[k - 1]}_middle"] for k in range(1, len(order))}
    if loop:
        expected[order[0]] = [f"{order[-1]}_middle"]
    assert _single_objective_edges(model) == expected
    if not loop:
        assert _parents(model, f"{order[0]}_top") == [f"{order[0]}_middle"]
    # an edge reads the source's pre-bridge activation, so a tower hears its predecessor only
    assert f"{order[-2]}_middle" in _ancestors(model, order[-1])
    assert f"{order[0]}_middle" not in _ancestors(model, order[-1])
    assert (f"{order[-1]}_middle" in _ancestors(model, order[0])) == loop


def test_fully_connected_towers():
    model = registry.build_model("fully_connected_towers", SPOTIFY, VOCAB, {"bridge_location": "bottom"})
    names = list(SPOTIFY.objective_names)
    assert _single_objective_edges(model) == {o: [f"{p}_bottom" for p in names if p != o] for o in names}


def test_variant_defining_keys_win():
    model = registry.build_model("no_bridge_ncf", SPOTIFY, VOCAB, {"bridge_location": "middle", "backbone": "wide_deep"})
    assert not [l for l in model.layers if "bridge" in l.name or l.name.startswith("wide_")]
    model = registry.build_model("ms_bridge_top", SPOTIFY, VOCAB, {"bridge_location": "middle", "backbone": "wide_deep"})
    assert _parents(model, "user_bridge_concat") == ["user_top", "artist_top"]
    assert model.get_layer("w_hat") is not None and model.name == "ms_bridge_top"
    with pytest.raises(ValueError, match="needs a bridge"):
        registry.build_model("ms_bridge_ncf", SPOTIFY, VOCAB, {"bridge_location": "none"})


def test_bridge_alias():
    model = registry.build_model("ms_bridge_ncf", SPOTIFY, VOCAB, {"bridge": "bottom"})
    assert _parents(model, "user_bridge_concat") == ["user_bottom", "artist_bottom"]
    no_bridge = registry.build_model("no_bridge_ncf", SPOTIFY, VOCAB, {"bridge": "top"})
    assert not [l for l in no_bridge.layers if "bridge" in l.name]
    with pytest.raises(ValueError, match="bridge='top' and bridge_location='middle'"):
        build_ms_bridge(SPOTIFY, VOCAB, {"bridge": "top", "bridge_location": "middle"})


@pytest.mark.parametrize("slug", list(VARIANTS))
def test_variant_outputs_roundtrip_and_no_lambda(slug, tmp_path):
    model = registry.build_model(slug, SPOTIFY, VOCAB)
    assert not any(isinstance(l, keras.layers.Lambda) for l in model.layers)
    assert sorted(model.input) == ["artist_id", "item_id", "user_id"]
    assert all(model.input[f].dtype == "int32" and model.input[f].shape == (None,) for f in model.input)
    x = _ids(17)
    predictions = {k: np.asarray(v) for k, v in model(x).items()}
    assert list(predictions) == list(SPOTIFY.objective_names)
    assert sorted(model.output_names) == sorted(SPOTIFY.objective_names)
    for name, value in predictions.items():
        assert value.shape == (17, 1) and ((value > 0) & (value < 1)).all(), name
        assert model.get_layer(name).activation.__name__ == "sigmoid"
    path = tmp_path / f"{slug}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)(x)
    for name in predictions:
        np.testing.assert_allclose(reloaded[name], predictions[name], rtol=1e-6, atol=1e-7)


def test_wide_deep_with_side_and_history_roundtrip(tmp_path):
    spec = SPOTIFY.with_objectives(SPOTIFY.objectives, side_features=("tempo", "energy"))
    model = registry.build_model("ms_bridge_wide_deep", spec, VOCAB, {"history_length": 4, "wide_cross_bins": 64})
    assert model.get_layer("wide_user_x_item_embedding").input_dim == 64
    x = {**_ids(9), "side": np.random.default_rng(0).normal(size=(9, 2)).astype("float32"),
         "recent_items": np.random.default_rng(1).integers(0, 60, (9, 4)).astype("int32")}
    predictions = model(x)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")(x)
    for name in predictions:
        np.testing.assert_allclose(reloaded[name], predictions[name], rtol=1e-6, atol=1e-7)
    assert not any(isinstance(l, keras.layers.Lambda) for l in model.layers)
    # the item table is shared by the item id and the recent items
    assert len(model.get_layer("item_embedding")._inbound_nodes) == 2
    no_side = build_ms_bridge(spec, VOCAB, {"side_features": ()})
    assert "side" not in no_side.input


def test_accepts_trailing_unit_axis():
    model = build_ms_bridge(SPOTIFY, VOCAB, {})
    x = _ids(8)
    flat = model(x)
    column = model.predict({k: v[:, None] for k, v in x.items()}, verbose=0)
    for name in flat:
        np.testing.assert_allclose(column[name], flat[name], rtol=1e-6)


def test_fits_tiny_problem_with_masked_targets():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    vocab = {"user_id": 40, "item_id": 100, "artist_id": 15}
    n = 600
    x = {f: rng.integers(1, size, n).astype("int32") for f, size in vocab.items()}
    user_factor, item_factor = rng.normal(size=vocab["user_id"]), rng.normal(size=vocab["item_id"])
    affinity = 1 / (1 + np.exp(-2 * user_factor[x["user_id"]] * item_factor[x["item_id"]]))
    names = SPOTIFY.objective_names
    y = {o: np.clip(affinity * (0.5 + 0.1 * k) + 0.05 * rng.normal(size=n), 0, 1).astype("float32")
         for k, o in enumerate(names)}
    w = {o: (rng.random(n) > 0.2).astype("float32") for o in names}
    data = tf.data.Dataset.from_tensor_slices((x, y, w)).batch(64)
    model = build_ms_bridge(SPOTIFY, vocab, {})
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss={o: "mse" for o in names}, jit_compile=False)
    history = model.fit(data, epochs=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["new_fan_loss"][-1] < history["new_fan_loss"][0]


def test_pretrained_frozen_and_fine_tuned():
    rng = np.random.default_rng(0)
    item_vectors = rng.normal(size=(VOCAB["item_id"] - 1, 40)).astype("float32")
    user_vectors = rng.normal(size=(VOCAB["user_id"], 8)).astype("float32")
    config = {"pretrained": {"item_id": item_vectors, "user_id": user_vectors},
              "pretrained_trainable": {"item_id": False}}
    model = build_ms_bridge(SPOTIFY, VOCAB, config)
    np.testing.assert_array_equal(model.get_layer("item_embedding").get_weights()[0][1:], item_vectors)
    assert not model.get_layer("item_embedding").trainable
    assert model.get_layer("user_embedding").output_dim == 8
    assert model.get_layer("user_projection").units == 40  # 8-d vectors projected to the model's 40
    x = _ids(64)
    with tf.GradientTape() as tape:
        loss = sum(tf.reduce_mean((p - 0.9) ** 2) for p in model(x, training=True).values())
    variables = model.trainable_variables
    keras.optimizers.SGD(0.5).apply_gradients(zip(tape.gradient(loss, variables), variables))
    np.testing.assert_array_equal(model.get_layer("item_embedding").get_weights()[0][1:], item_vectors)
    assert not np.allclose(model.get_layer("user_embedding").get_weights()[0], user_vectors)


def test_pretrained_from_file(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(VOCAB["artist_id"] - 1, 40)).astype("float32")
    np.save(tmp_path / "artists.npy", vectors)
    model = build_ms_bridge(SPOTIFY, VOCAB, {"pretrained": {"artist_id": str(tmp_path / "artists.npy")}})
    np.testing.assert_array_equal(model.get_layer("artist_embedding").get_weights()[0][1:], vectors)


def test_autoencoder_embeddings():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(VOCAB["artist_id"] - 1, 5))
    model = build_ms_bridge(SPOTIFY, VOCAB, {"autoencoder_features": {"artist_id": features},
                                             "autoencoder_epochs": 3, "embedding_dim": 6})
    table = model.get_layer("artist_embedding").get_weights()[0]
    assert table.shape == (VOCAB["artist_id"], 6)
    assert model.get_layer("artist_embedding").trainable
    with pytest.raises(ValueError, match=r"autoencoder_features\['artist_id'\] has shape \(3, 5\)"):
        build_ms_bridge(SPOTIFY, VOCAB, {"autoencoder_features": {"artist_id": features[:3]}})


def test_embedding_variable_partition():
    model = registry.build_model("ms_bridge_wide_deep", SPOTIFY, VOCAB)
    embedded = embedding_variables(model)
    assert {v.path.split("/")[0] for v in embedded} == {
        "user_embedding", "item_embedding", "artist_embedding", "wide_user_embedding", "wide_item_embedding",
        "wide_artist_embedding", "wide_user_x_artist_embedding", "wide_user_x_item_embedding"}
    rest = dense_variables(model)
    assert len(embedded) + len(rest) == len(model.trainable_variables)
    assert not any("embedding" in v.path for v in rest)


@pytest.mark.parametrize("vocab, config, message", [
    ({"user_id": 5, "item_id": 5}, {}, r"vocab\['artist_id'\] must be an int >= 2"),
    (VOCAB, {"backbone": "mlp"}, r"config\['backbone'\] = 'mlp' not in"),
    (VOCAB, {"bridge_location": "side"}, r"config\['bridge_location'\] = 'side'"),
    (VOCAB, {"towers": "item"}, r"config\['towers'\]"),
    (VOCAB, {"embedding_dim": 0}, r"config\['embedding_dim'\] must be a positive int"),
    (VOCAB, {"chain_start": "label"}, r"config\['chain_start'\] = 'label' is not a stakeholder"),
    (VOCAB, {"pretrained": {"genre_id": np.zeros((3, 2))}}, r"unknown inputs \['genre_id'\]"),
    (VOCAB, {"history_length": -1}, "history_length"),
])
def test_invalid_arguments(vocab, config, message):
    with pytest.raises(ValueError, match=message):
        build_ms_bridge(SPOTIFY, vocab, config)


def test_objective_name_clash():
    spec = DatasetSpec(name="clash", stakeholders=("user", "artist"),
                       objectives=(ObjectiveSpec("artist_top", "user", "bounded"),
                                   ObjectiveSpec("new_fan", "artist", "bounded")),
                       engagement="artist_top", positive_rule=("artist_top", 0.5))
    with pytest.raises(ValueError, match=r"\['artist_top'\] clash"):
        build_ms_bridge(spec, VOCAB, {})
