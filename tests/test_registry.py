import pytest

from ms_bridge import registry
from ms_bridge.datasets.spec import get_spec

VOCAB = {"user_id": 12, "item_id": 20, "artist_id": 6}


@pytest.fixture
def clean_registry():
    registry.list_models()
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def test_register_get_and_list(clean_registry):
    def builder(spec, vocab, config):
        return ("built", spec.name, vocab["user_id"], config)

    assert registry.register_model("toy_model", builder, label="Toy", family="multi-objective") is builder
    entry = registry.get_model("toy_model")
    assert (entry.name, entry.label, entry.family, entry.builder) == ("toy_model", "Toy", "multi-objective", builder)
    assert entry(get_spec("mlhd"), VOCAB, {"a": 1}) == ("built", "mlhd", 12, {"a": 1})
    assert entry(get_spec("mlhd"), VOCAB) == ("built", "mlhd", 12, {})
    assert "toy_model" in registry.list_models()
    assert registry.list_models(family="multi-objective")[-1] == "toy_model"
    assert "toy_model" not in registry.list_models(family="ms-bridge")


def test_decorator_form(clean_registry):
    @registry.register_model("toy_decorated", label="Decorated", family="single-objective")
    def build(spec, vocab, config):
        return config.get("x")

    assert build(None, None, {"x": 3}) == 3
    assert registry.build_model("toy_decorated", None, None, {"x": 5}) == 5


def test_config_is_copied(clean_registry):
    seen = []
    registry.register_model("toy_copy", lambda s, v, c: seen.append(c) or c, label="Copy", family="ablation")
    config = {"k": 1}
    registry.get_model("toy_copy")(None, None, config)["k"] = 2
    assert config == {"k": 1}


def test_duplicate_raises(clean_registry):
    registry.register_model("toy_dup", lambda s, v, c: None, label="A", family="ablation")
    with pytest.raises(ValueError, match="toy_dup.*already registered"):
        registry.register_model("toy_dup", lambda s, v, c: None, label="B", family="ablation")
    with pytest.raises(ValueError, match="ms_bridge_ncf.*already registered"):
        registry.register_model("ms_bridge_ncf", lambda s, v, c: None, label="B", family="ablation")


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match=r"unknown model 'nope'; known: \[.*'ms_bridge_ncf'"):
        registry.get_model("nope")
    with pytest.raises(ValueError, match="unknown family 'nope'"):
        registry.list_models(family="nope")
    with pytest.raises(ValueError, match="unknown model"):
        registry.unregister_model("nope")


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="", label="L", family="f"), "non-empty string without spaces"),
    (dict(name="a b", label="L", family="f"), "without spaces"),
    (dict(name="ok", label="", family="f"), "label"),
    (dict(name="ok", label="L", family=""), "family"),
])
def test_malformed_registration(kwargs, message, clean_registry):
    with pytest.raises(ValueError, match=message):
        registry.register_model(kwargs.pop("name"), lambda s, v, c: None, **kwargs)


def test_non_callable_builder(clean_registry):
    with pytest.raises(ValueError, match="builder must be callable"):
        registry.register_model("toy_bad", 3, label="L", family="ablation")


def test_unregister(clean_registry):
    registry.register_model("toy_gone", lambda s, v, c: None, label="L", family="ablation")
    registry.unregister_model("toy_gone")
    assert "toy_gone" not in registry.list_models()


def test_builtin_variants_registered():
    expected = {
        "ms-bridge": {"ms_bridge_ncf", "ms_bridge_wide_deep", "no_bridge_ncf", "no_bridge_wide_deep"},
        "single-objective": {"single_objective_towers"},
        "ablation": {"chain_user_to_artist", "chain_user_to_artist_loop", "chain_artist_to_user",
                     "chain_artist_to_user_loop", "fully_connected_towers", "ms_bridge_input",
                     "ms_bridge_bottom", "ms_bridge_middle", "ms_bridge_top", "ms_bridge_output"},
    }
    for family, names in expected.items():
        assert names <= set(registry.list_models(family=family)), family
    assert registry.get_model("chain_artist_to_user_loop").label == "Artist to User Towers (+Loop)"
