import numpy as np
import pandas as pd
import pytest

from ms_bridge.layers.embeddings import align_rows, entity_name, id_embedding, load_pretrained


def test_entity_name():
    assert [entity_name(f) for f in ("user_id", "item_id", "artist_id", "user_x_item")] == \
        ["user", "item", "artist", "user_x_item"]


def test_id_embedding_names_initial_and_frozen():
    matrix = np.arange(15, dtype="float32").reshape(5, 3)
    layer = id_embedding("item_id", 5, 3, initial=matrix, trainable=False)
    out = layer(np.array([4, 0, 2]))
    assert layer.name == "item_embedding" and not layer.trainable
    np.testing.assert_array_equal(np.asarray(out), matrix[[4, 0, 2]])
    assert id_embedding("user_x_item", 7, 2, prefix="wide_").name == "wide_user_x_item_embedding"


@pytest.mark.parametrize("kwargs, message", [
    (dict(vocab_size=0, dim=3), "vocab_size"),
    (dict(vocab_size=4, dim=0), "dim"),
    (dict(vocab_size=4, dim=3, initial=np.zeros((3, 3))), r"shape \(3, 3\), expected \(4, 3\)"),
])
def test_id_embedding_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        id_embedding("item_id", **kwargs)


def test_align_rows_known_rows_and_random_oov():
    values = np.random.default_rng(1).normal(0, 2.0, (400, 6))
    table = align_rows(values, vocab_size=401, seed=3)
    np.testing.assert_allclose(table.matrix[1:], values.astype("float32"))
    assert table.matrix.shape == (401, 6) and (table.n_found, table.n_missing) == (400, 0)
    # the OOV row is a seeded normal draw, not zeros or a copy of a known row
    np.testing.assert_array_equal(table.matrix[0], align_rows(values, 401, seed=3).matrix[0])
    assert not np.allclose(table.matrix[0], align_rows(values, 401, seed=4).matrix[0])
    whole = align_rows(values, vocab_size=400)
    np.testing.assert_allclose(whole.matrix, values.astype("float32"))
    with pytest.raises(ValueError, match=r"shape \(400, 6\) does not match vocab_size 10"):
        align_rows(values, vocab_size=10)


def test_load_pretrained_npy(tmp_path):
    values = np.random.default_rng(0).normal(size=(9, 4)).astype("float32")
    np.save(tmp_path / "v.npy", values)
    table = load_pretrained(tmp_path / "v.npy", vocab_size=10)
    np.testing.assert_array_equal(table.matrix[1:], values)
    with pytest.raises(ValueError, match="does not match vocab_size 20"):
        load_pretrained(tmp_path / "v.npy", vocab_size=20)


def test_load_pretrained_csv_with_mapping(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "zzz", "a"], "v0": [1.0, 2.0, 3.0, 10.0], "v1": [4.0, 5.0, 6.0, 40.0]})
    frame.to_csv(tmp_path / "v.csv", index=False)
    index = {"a": 1, "b": 3, "c": 2}  # "zzz" is not in the vocabulary, "c" is not in the file
    table = load_pretrained(tmp_path / "v.csv", vocab_size=4, index=index, seed=0)
    np.testing.assert_array_equal(table.matrix[1], [10.0, 40.0])  # a repeated id keeps its last row
    np.testing.assert_array_equal(table.matrix[3], [2.0, 5.0])
    assert (table.n_found, table.n_missing, table.n_ignored) == (2, 1, 1)
    scale = frame[["v0", "v1"]].to_numpy().std()
    expected_random = np.random.default_rng(0).normal(0.0, scale, (4, 2)).astype("float32")
    np.testing.assert_allclose(table.matrix[[0, 2]], expected_random[[0, 2]])


def test_load_pretrained_csv_with_callable_and_integer_ids(tmp_path):
    pd.DataFrame({"key": [7, 8], "x": [1.0, 2.0]}).to_csv(tmp_path / "v.csv", index=False)
    table = load_pretrained(tmp_path / "v.csv", vocab_size=3, index=lambda ids: np.asarray(ids) - 6,
                            id_column="key")
    np.testing.assert_array_equal(table.matrix[1:, 0], [1.0, 2.0])

    class IdMapLike:
        def transform(self, ids):
            return np.asarray(ids) - 5

    table = load_pretrained(tmp_path / "v.csv", vocab_size=4, index=IdMapLike(), id_column="key")
    np.testing.assert_array_equal(table.matrix[2:, 0], [1.0, 2.0])
    pd.DataFrame({"id": [2, 1], "x": [5.0, 6.0]}).to_csv(tmp_path / "w.csv", index=False)
    np.testing.assert_array_equal(load_pretrained(tmp_path / "w.csv", vocab_size=3).matrix[1:, 0], [6.0, 5.0])


def test_load_pretrained_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_pretrained(tmp_path / "missing.npy", vocab_size=3)
    (tmp_path / "v.txt").write_text("1 2")
    with pytest.raises(ValueError, match="unsupported pretrained format '.txt'"):
        load_pretrained(tmp_path / "v.txt", vocab_size=3)
    pd.DataFrame({"x": [1.0]}).to_csv(tmp_path / "v.csv", index=False)
    with pytest.raises(ValueError, match="no id column 'id'"):
        load_pretrained(tmp_path / "v.csv", vocab_size=3)
    pd.DataFrame({"id": [1], "x": [np.nan]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(ValueError, match="non-finite"):
        load_pretrained(tmp_path / "n.csv", vocab_size=3)
