import numpy as np
import pandas as pd
import pytest

from ms_bridge import allocation as al
from ms_bridge import welfare

TINY = al.MarketConfig(star_share=0.25, fan_prob=0.3)


def _dense_values(market):
    """(N, M) user utility and fan matrices of a dense market."""
    assert market.dense
    return market.user_utility.astype(np.float64), market.fan


def _slow_metrics(market, alloc):
    """Obviously-correct per-user loop over an allocation."""
    uu, fan = _dense_values(market)
    n = len(alloc)
    pop = {i: sum(1 for a in alloc if a == i) for i in set(alloc.tolist())}
    users = [uu[u, a] for u, a in enumerate(alloc)]
    artists = [0.5 * 1.0 / np.sqrt(pop[a]) + 0.5 * float(fan[u, a]) for u, a in enumerate(alloc)]
    counts = np.array([pop.get(i, 0) for i in range(market.num_artists)], dtype=float)
    return {
        "avg_user_utility": sum(users) / n,
        "avg_artist_utility": sum(artists) / n,
        "artist_coverage": len(pop) / market.num_artists,
        "fan_matches": float(sum(bool(fan[u, a]) for u, a in enumerate(alloc))),
        "gini_exposure": np.abs(counts[:, None] - counts[None, :]).sum() / (2 * len(counts) ** 2 * counts.mean()),
        "ms_nsw": np.sqrt(sum(users) / n * sum(artists) / n),
    }


def test_generate_market_follows_section_3_2():
    market = al.generate_market(2000, 100, seed=(7, 0))
    uu, fan = _dense_values(market)
    star = market.is_star
    assert star.sum() == 10 and star[:10].all()
    assert not fan[:, star].any()                            # stars have no latent fans
    assert fan[:, ~star].mean() == pytest.approx(0.05, abs=0.003)
    assert uu.min() >= 0 and uu.max() <= 1
    # E[U_user] = 0.9 E[rel] + 0.1 E[disc]; truncation moves E[rel] of stars below 0.95
    from scipy.stats import truncnorm
    def tn_mean(mu, sd):
        return truncnorm.mean((0 - mu) / sd, (1 - mu) / sd, loc=mu, scale=sd)
    assert uu[:, star].mean() == pytest.approx(0.9 * tn_mean(0.95, 0.05) + 0.1 * 0.2, abs=2e-3)
    niche = uu[:, ~star]
    assert niche[fan[:, ~star]].mean() == pytest.approx(0.9 * tn_mean(0.85, 0.02) + 0.1 * 0.9, abs=2e-3)
    assert niche[~fan[:, ~star]].mean() == pytest.approx(0.9 * tn_mean(0.10, 0.05) + 0.1 * 0.9, abs=2e-3)


def test_generate_market_deterministic_and_invalid():
    a = al.generate_market(50, 10, seed=(1, 2))
    b = al.generate_market(50, 10, seed=(1, 2))
    c = al.generate_market(50, 10, seed=(1, 3))
    np.testing.assert_array_equal(a.user_utility, b.user_utility)
    assert not np.array_equal(a.user_utility, c.user_utility)
    for kwargs, match in [({"num_users": 0}, "num_users"), ({"num_artists": -1}, "num_artists"),
                          ({"candidates": 0}, "candidates"), ({"seed": -1}, "seed")]:
        args = {"num_users": 5, "num_artists": 5, **kwargs}
        with pytest.raises(ValueError, match=match):
            al.generate_market(**args)
    with pytest.raises(ValueError, match="fan_prob"):
        al.MarketConfig(fan_prob=1.5)
    with pytest.raises(ValueError, match="standard deviation"):
        al.MarketConfig(star_relevance=(0.9, 0.0))


def test_candidate_market_matches_dense_distribution():
    cand = al.generate_market(3000, 400, seed=3, candidates=32)
    assert not cand.dense and cand.candidates.shape == (3000, 32)
    # no duplicate artist among a user's non-padded candidates, and fans only on niche artists
    assert not cand.fan[:, :8].any() and cand.is_star[cand.candidates[:, :8]].all()
    fan_art = cand.candidates[cand.fan]
    assert not cand.is_star[fan_art].any()
    nonfan = cand.candidates[:, 24:]
    assert (~cand.is_star[nonfan]).all()
    assert all(len(set(r)) == len(r) for r in nonfan[:200].tolist())
    # the kept fan artists are the user's best fans: their utility beats a random fan's mean
    dense = al.generate_market(3000, 400, seed=3)
    uu, fan = _dense_values(dense)
    assert cand.user_utility[:, 24:].mean() == pytest.approx(uu[:, ~dense.is_star][~fan[:, ~dense.is_star]].mean(),
                                                             abs=3e-3)
    # latent fans per user: Binomial(360, 0.05) mean 18 >= 16 fan slots, most users fill them
    assert cand.fan[:, 8:24].mean() > 0.8


def test_metrics_match_slow_reference():
    market = al.generate_market(30, 8, seed=4, config=TINY)
    rng = np.random.default_rng(0)
    for alloc in (rng.integers(0, 8, 30), np.zeros(30, dtype=int), np.arange(30) % 8):
        got = al.allocation_metrics(market, alloc)
        for key, value in _slow_metrics(market, alloc).items():
            assert got[key] == pytest.approx(value, abs=1e-9), key
    with pytest.raises(ValueError, match="one artist per user"):
        al.allocation_metrics(market, np.zeros(3, dtype=int))


def test_objective_value_uses_population_popularity():
    market = al.generate_market(4, 3, seed=0, config=TINY)
    uu, fan = _dense_values(market)
    alloc = np.array([0, 0, 1, 2])
    su = uu[np.arange(4), alloc].sum()
    # artist 0 twice: each pair has exposure 1/sqrt(2)
    sa = 0.5 * (2 / np.sqrt(2) + 1 + 1) + 0.5 * fan[np.arange(4), alloc].sum()
    assert al.objective_value(market, alloc, "MAUT-User") == pytest.approx(su / 4)
    assert al.objective_value(market, alloc, "MAUT-Artist") == pytest.approx(sa / 4)
    assert al.objective_value(market, alloc, "MS-NSW") == pytest.approx(np.sqrt(su * sa) / 4)
    with pytest.raises(ValueError, match="unknown strategy"):
        al.objective_value(market, alloc, "MAUT")


def test_exact_allocation_is_brute_force():
    import itertools
    market = al.generate_market(5, 3, seed=5, config=TINY)
    for strategy in al.STRATEGIES:
        _, best = al.exact_allocation(market, strategy)
        brute = max(al.objective_value(market, np.array(a), strategy)
                    for a in itertools.product(range(3), repeat=5))
        assert best == pytest.approx(brute, abs=1e-12)
    with pytest.raises(ValueError, match="max_allocations"):
        al.exact_allocation(al.generate_market(30, 10, seed=0), "MS-NSW")


@pytest.mark.parametrize("config", [TINY, al.MarketConfig(star_share=0.34, fan_prob=0.5), al.MarketConfig()])
def test_local_search_matches_exact_optimum_on_tiny_markets(config):
    for n, m in [(6, 4), (7, 3), (5, 5)]:
        for seed in range(12):
            market = al.generate_market(n, m, seed=seed, config=config)
            for strategy in al.STRATEGIES:
                found = al.objective_value(market, al.solve(market, strategy), strategy)
                _, exact = al.exact_allocation(market, strategy)
                assert found == pytest.approx(exact, abs=1e-10), (n, m, seed, strategy)


def test_linear_target_local_search_is_exact_on_tiny_markets():
    for seed in range(10):
        market = al.generate_market(6, 4, seed=seed, config=TINY)
        target = (0.3, 0.7)
        slots = al.local_search(market, target, np.argmax(market.user_utility, axis=1))
        _, exact = al.exact_allocation(market, target)
        assert al.objective_value(market, slots, target) == pytest.approx(exact, abs=1e-10)


def test_strategies_optimise_their_own_target():
    market = al.generate_market(300, 30, seed=11)
    allocs = {s: al.solve(market, s) for s in al.STRATEGIES}
    values = {(s, t): al.objective_value(market, allocs[s], t) for s in al.STRATEGIES for t in al.STRATEGIES}
    for target in al.STRATEGIES:
        for other in al.STRATEGIES:
            assert values[(target, target)] >= values[(other, target)] - 1e-12
    m = al.allocation_metrics(market, allocs["MS-NSW"])
    assert m["ms_nsw"] == pytest.approx(values[("MS-NSW", "MS-NSW")])
    # the MAUT-User allocation is the per-user argmax (separable)
    np.testing.assert_array_equal(allocs["MAUT-User"], np.argmax(market.user_utility, axis=1))


def test_local_search_is_a_local_optimum_for_single_moves_on_candidate_market():
    market = al.generate_market(400, 120, seed=2, candidates=16)
    slots = al.local_search(market, "MS-NSW", np.zeros(400, dtype=np.int64))
    value = al.objective_value(market, slots, "MS-NSW")
    rng = np.random.default_rng(0)
    for _ in range(200):
        trial = slots.copy()
        trial[rng.integers(400)] = rng.integers(16)
        assert al.objective_value(market, trial, "MS-NSW") <= value + 1e-12
    with pytest.raises(ValueError, match="dense market"):
        al.local_search(market, "MS-NSW", slots, swaps=True)
    with pytest.raises(ValueError, match="init"):
        al.local_search(market, "MS-NSW", slots[:3])


def test_run_trials_and_summarise():
    per_trial = al.run_trials(num_users=60, num_artists=10, trials=3, seed=1)
    assert len(per_trial) == 9 and set(per_trial["strategy"]) == set(al.STRATEGIES)
    table = al.summarise(per_trial)
    assert list(table.index) == list(al.STRATEGIES) and table.index.name == "strategy"
    expected_cols = [c for m in al.METRICS for c in (m, f"{m}_std")]
    assert list(table.columns) == expected_cols
    sub = per_trial[per_trial.strategy == "MS-NSW"]["ms_nsw"]
    assert table.loc["MS-NSW", "ms_nsw"] == pytest.approx(sub.mean())
    assert table.loc["MS-NSW", "ms_nsw_std"] == pytest.approx(sub.std(ddof=1))
    one = al.summarise(al.run_trials(num_users=20, num_artists=10, trials=1, seed=1))
    assert one["ms_nsw_std"].isna().all()
    with pytest.raises(ValueError, match="trials"):
        al.run_trials(trials=0)
    with pytest.raises(ValueError, match="lacks columns"):
        al.summarise(pd.DataFrame({"strategy": ["MS-NSW"]}))


def test_welfare_gini_of_exposure_counts_is_used():
    market = al.generate_market(40, 10, seed=0)
    alloc = np.array([0] * 30 + list(range(10)))
    m = al.allocation_metrics(market, alloc)
    counts = np.bincount(alloc, minlength=10)
    assert m["gini_exposure"] == pytest.approx(float(welfare.gini(counts)))
    assert m["artist_coverage"] == 1.0


def test_sequential_exposure_matches_applying_moves_one_by_one():
    from ms_bridge.allocation import _sequential_exposure
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 6, 12).astype(float)
    src = rng.integers(0, 12, 40)
    dst = (src + rng.integers(1, 12, 40)) % 12
    counts += np.bincount(src, minlength=12)  # enough users to leave
    got = _sequential_exposure(src, dst, counts, 0.5)
    n = counts.copy()
    for t, (s, d) in enumerate(zip(src, dst)):
        before = 0.5 * np.sqrt(n).sum()
        n[s] -= 1
        n[d] += 1
        assert got[t] == pytest.approx(0.5 * np.sqrt(n).sum() - before, abs=1e-12)


def test_float32_screening_reaches_the_same_local_optimum(monkeypatch):
    market = al.generate_market(600, 200, seed=4, candidates=32)
    init = np.zeros(600, dtype=np.int64)
    exact = al.local_search(market, "MS-NSW", init)
    monkeypatch.setattr(al, "FLOAT32_SCREEN_PAIRS", 0)
    screened = al.local_search(market, "MS-NSW", init)
    assert al.objective_value(market, screened, "MS-NSW") == pytest.approx(
        al.objective_value(market, exact, "MS-NSW"), rel=1e-6)
