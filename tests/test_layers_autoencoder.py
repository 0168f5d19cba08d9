import numpy as np
import pytest

from ms_bridge.autoencoder import build_autoencoder, pretrain_embeddings


def test_autoencoder_reconstructs_better_than_mean():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(300, 4))
    features = latent @ rng.normal(size=(4, 16)) + 0.05 * rng.normal(size=(300, 16)) + 3.0
    result = pretrain_embeddings(features, code_dim=6, hidden_units=(32,), epochs=40, batch_size=64, seed=0)
    assert result.embeddings.shape == (300, 6) and result.embeddings.dtype == np.float32
    assert result.mean_code.shape == (6,)
    assert result.mean_baseline_mse == pytest.approx(1.0, abs=1e-5)  # standardised columns
    assert result.reconstruction_mse < 0.25 * result.mean_baseline_mse
    np.testing.assert_allclose(result.mean, features.mean(axis=0), rtol=1e-5)


def test_autoencoder_constant_column_and_code_layer():
    features = np.c_[np.random.default_rng(1).normal(size=(50, 3)), np.ones(50)]
    result = pretrain_embeddings(features, code_dim=2, epochs=2, seed=1)
    assert result.scale[-1] == 1.0
    model = build_autoencoder(4, code_dim=2, hidden_units=(8, 4))
    assert model.get_layer("code").units == 2 and model.output.shape == (None, 4)


@pytest.mark.parametrize("features, message", [
    (np.zeros(5), "2-D array"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), r"non-finite values at \(row, column\) \[\[0, 1\]\]"),
])
def test_autoencoder_rejects(features, message):
    with pytest.raises(ValueError, match=message):
        pretrain_embeddings(features, code_dim=2, epochs=1)
