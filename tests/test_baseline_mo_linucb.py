"""MO-LinUCB baseline: learns; design matrices and UCB bonus against numpy closed forms."""

import keras
import numpy as np
import pytest

from baselines.mo_linucb import CONTEXT_LAYER, LinearUCB, build_mo_linucb, fit_design_matrices, ucb_scores

from baseline_toy import SPEC, VOCAB, assert_learns, trained_on_toy

X = {"user_id": np.array([0, 1, 5, 2, 3], "int32"), "item_id": np.array([6, 2, 0, 3, 1], "int32"),
     "artist_id": np.array([1, 3, 2, 0, 1], "int32")}


trained = trained_on_toy(build_mo_linucb, {"embedding_dim": 8})


def test_mo_linucb_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_context_is_embeddings_and_their_products():
    model = build_mo_linucb(SPEC, VOCAB, {"embedding_dim": 2})
    context = np.asarray(keras.Model(model.inputs, model.get_layer(CONTEXT_LAYER).output)(X))
    u, i, a = (model.get_layer(f"linucb_{f}_embedding").get_weights()[0][X[f"{f}_id"]]
               for f in ("user", "item", "artist"))
    np.testing.assert_allclose(context, np.concatenate([u, i, a, u * i, u * a], axis=1), rtol=1e-6)


def test_design_matrix_and_bonus_match_closed_form():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(50, 4)), (rng.random(50) > 0.3).astype(float)
    layer = LinearUCB(alpha=0.7, ridge=2.0)
    layer(np.zeros((1, 4), "float32"))
    layer.set_design(x, w)
    a_inv = np.linalg.inv(2.0 * np.eye(4) + sum(w[n] * np.outer(x[n], x[n]) for n in range(50)))
    np.testing.assert_allclose(layer.a_inv.numpy(), a_inv, rtol=1e-4, atol=1e-7)
    probe = rng.normal(size=(3, 4)).astype("float32")
    bonus = np.sqrt(np.einsum("nd,de,ne->n", probe, a_inv, probe))
    np.testing.assert_allclose(np.asarray(layer.bonus(probe))[:, 0], bonus, rtol=1e-4)
    mean = probe @ layer.theta.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(np.asarray(layer(probe, training=True)), mean, rtol=1e-5)      # learns the mean
    np.testing.assert_allclose(np.asarray(layer(probe, training=False))[:, 0], mean[:, 0] + 0.7 * bonus, rtol=1e-4)


def test_fit_design_matrices_counts_only_known_targets_and_ucb_scores(trained):
    model, x = trained["model"], trained["val_x"]
    contexts = np.asarray(keras.Model(model.inputs, model.get_layer(CONTEXT_LAYER).output)(x), dtype="float64")
    mask = {o: (np.arange(len(contexts)) % (k + 2) != 0).astype("float32") for k, o in enumerate(SPEC.objective_names)}
    fit_design_matrices(model, x, mask)
    for o in SPEC.objective_names:
        design = np.eye(contexts.shape[1]) + (contexts * mask[o][:, None]).T @ contexts
        np.testing.assert_allclose(model.get_layer(f"{o}_linucb").a_inv.numpy(), np.linalg.inv(design),
                                   rtol=1e-3, atol=1e-6)
    means = model(x, training=False)
    greedy, optimistic = ucb_scores(model, x, alpha=0.0), ucb_scores(model, x, alpha=1.0)
    for o in SPEC.objective_names:
        np.testing.assert_allclose(greedy[o], np.asarray(means[o]), rtol=1e-5)  # alpha 0: Task 1 mean estimate
        assert (optimistic[o] > greedy[o]).all()


@pytest.mark.parametrize("config, bad", [({"alpha": -1.0}, "-1.0"), ({"ridge": 0.0}, "0.0")])
def test_mo_linucb_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_mo_linucb(SPEC, VOCAB, config)


def test_set_design_rejects_wrong_shape():
    layer = LinearUCB()
    layer(np.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match=r"\(3, 5\)"):
        layer.set_design(np.zeros((3, 5)))
