"""`analyzers.bias_model` against direct computations: scikit-learn for the logistic fit on explicitly stacked
orientations, a brute-force AUC, hand-counted win rates, and the balancing property (mirrored bins equal)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzers import bias_model


def _synthetic(n: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose label follows factor 0 strongly, factor 1 weakly, factor 2 not at all."""
    rng = np.random.default_rng(seed)
    deltas = rng.normal(size=(n, 3))
    wins = rng.random(n) < 1 / (1 + np.exp(-(1.5 * deltas[:, 0] + 0.4 * deltas[:, 1])))
    deltas[~wins] *= -1  # store chosen minus rejected: flip the pairs where "A" lost
    return deltas, wins


def test_fit_matches_sklearn_on_both_orientations():
    from sklearn.linear_model import LogisticRegression

    deltas, _ = _synthetic()
    weights = np.random.default_rng(0).integers(0, 3, len(deltas)).astype(float)
    for l2 in (1.0, 0.1):
        ours = bias_model.fit_bradley_terry(deltas, weights=weights, l2=l2)
        stacked = np.vstack([deltas, -deltas])
        labels = np.concatenate([np.ones(len(deltas)), np.zeros(len(deltas))])
        reference = LogisticRegression(fit_intercept=False, C=1.0 / l2, tol=1e-12, max_iter=10_000)
        reference.fit(stacked, labels, sample_weight=np.concatenate([weights, weights]))
        np.testing.assert_allclose(ours, reference.coef_[0], rtol=1e-5, atol=1e-6)


def test_many_fits_equal_one_fit_each():
    deltas, _ = _synthetic(200)
    one = deltas[:, :1]
    weights = bias_model.bootstrap_weights(len(one), 7, seed=5)
    batched = bias_model.fit_bradley_terry_many(one, weights, l2=0.5)
    looped = np.stack([bias_model.fit_bradley_terry(one, weights=w, l2=0.5) for w in weights])
    np.testing.assert_allclose(batched, looped, rtol=1e-6, atol=1e-8)


def test_far_start_still_converges_to_the_optimum():
    deltas, _ = _synthetic(150)
    best = bias_model.fit_bradley_terry(deltas)
    np.testing.assert_allclose(bias_model.fit_bradley_terry(deltas, start=np.array([40.0, -40.0, 40.0])), best,
                               rtol=1e-6, atol=1e-8)


def test_bootstrap_is_seeded_and_resamples_pairs():
    first, second = bias_model.bootstrap_weights(50, 4, seed=11), bias_model.bootstrap_weights(50, 4, seed=11)
    np.testing.assert_array_equal(first, second)
    assert (first.sum(axis=1) == 50).all()  # each replicate draws n pairs
    assert not np.array_equal(first, bias_model.bootstrap_weights(50, 4, seed=12))


def test_roc_auc_against_brute_force():
    scores = np.array([2.0, -1.0, 0.5, 0.0, 0.5, -3.0])
    positives, negatives = scores, -scores
    brute = np.mean([1.0 if p > q else 0.5 if p == q else 0.0 for p in positives for q in negatives])
    assert bias_model.roc_auc(scores) == pytest.approx(brute)


def test_wilson_interval_known_value():
    low, high = bias_model.wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)  # textbook Wilson interval for 8/10


def _frame(deltas: np.ndarray, labels: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"delta_tokens": deltas[:, 0] * 20, "delta_list_items": np.round(deltas[:, 1]),
                          "delta_emojis": deltas[:, 2]})
    frame["chosen_tokens"] = 100 + frame["delta_tokens"].clip(lower=0)
    frame["rejected_tokens"] = 100 - frame["delta_tokens"].clip(upper=0)
    frame["label"] = labels or ["preferred"] * len(frame)
    return frame


def test_slice_report_effects_and_statistics():
    deltas, _ = _synthetic(300)
    labels = ["preferred"] * 290 + ["tie"] * 10
    frame = _frame(deltas, labels)
    report = bias_model.slice_report(frame, bias_model.ReportOptions(bootstrap=50, seed=1))
    effects = {e["factor"]: e for e in report["effects"]}
    decided = frame[frame["label"] != "tie"]
    # Win rates by hand.
    moved = decided["delta_list_items"][decided["delta_list_items"] != 0]
    assert effects["list_items"]["win_rate"] == pytest.approx((moved > 0).mean())
    assert effects["list_items"]["win_pairs"] == len(moved)
    # Length dominates; the unrelated factor's interval covers 0.
    assert effects["tokens"]["low"] > 0
    assert effects["emojis"]["low"] < 0 < effects["emojis"]["high"]
    assert report["length_effect"]["low"] > 0
    # The joint coefficients equal a direct fit on the standardized differences of decided pairs.
    raw = decided[["delta_tokens", "delta_list_items", "delta_emojis"]].to_numpy()
    direct = bias_model.fit_bradley_terry(raw / np.sqrt((raw ** 2).mean(axis=0)))
    assert [effects[f]["coefficient"] for f in ("tokens", "list_items", "emojis")] == pytest.approx(direct)
    stats = report["statistics"]
    assert stats["ties"] == 10 and stats["decided_pairs"] == 290
    unequal = decided["delta_tokens"][decided["delta_tokens"] != 0]
    assert stats["longer_wins_share"] == pytest.approx((unequal > 0).mean())
    assert report["auc"]["all_factors"] > report["auc"]["without_length"]
    # Deterministic for a seed.
    again = bias_model.slice_report(frame, bias_model.ReportOptions(bootstrap=50, seed=1))
    assert again["effects"] == report["effects"]


def test_small_slices_get_statistics_only():
    deltas, _ = _synthetic(10)
    report = bias_model.slice_report(_frame(deltas))
    assert report["note"] and all(e["coefficient"] is None for e in report["effects"])
    assert report["statistics"]["decided_pairs"] == 10


def test_length_baseline_counts_equal_lengths_as_half():
    frame = pd.DataFrame({"delta_tokens": [5, -3, 0, 2, 0], "label": ["preferred"] * 4 + ["tie"]})
    stats = bias_model.dataset_statistics(frame, "tokens")
    assert stats["length_baseline_accuracy"] == pytest.approx((2 + 0.5) / 4)
    assert stats["longer_wins_share"] == pytest.approx(2 / 3) and stats["longer_wins_pairs"] == 3


def test_win_rate_by_length_bins():
    frame = pd.DataFrame({"delta_tokens": [1, -10, 11, 15, -250, 0], "label": ["preferred"] * 6})
    table = bias_model.win_rate_by_length(frame).set_index("bin")
    assert table.loc["1–10", "pairs"] == 2 and table.loc["1–10", "longer_won"] == 1
    assert table.loc["11–20", "longer_wins_share"] == 1.0
    assert table.loc[">200", "pairs"] == 1 and table.loc[">200", "longer_won"] == 0


def test_balancing_gives_mirrored_bins_equal_counts():
    rng = np.random.default_rng(4)
    delta = np.concatenate([rng.integers(1, 260, 500), -rng.integers(1, 120, 200), np.zeros(7, dtype=int)])
    ids = [f"p{i:04d}" for i in range(len(delta))]
    kept, table = bias_model.length_balanced_ids(ids, delta, seed=9)
    kept_delta = pd.Series(delta, index=ids).loc[kept].to_numpy()
    for k in range(1, 21):  # every bin and its mirror: equal counts, the smaller of the two
        positive = int(((kept_delta > 10 * (k - 1)) & (kept_delta <= 10 * k)).sum())
        negative = int(((kept_delta < -10 * (k - 1)) & (kept_delta >= -10 * k)).sum())
        available = (((delta > 10 * (k - 1)) & (delta <= 10 * k)).sum(), ((delta < -10 * (k - 1)) & (delta >= -10 * k)).sum())
        assert positive == negative == min(available)
    assert (kept_delta == 0).sum() == 7 and np.abs(kept_delta).max() <= 200
    assert len(set(kept)) == len(kept) == int(table["kept"].sum())
    assert table.attrs["outside"] == int((np.abs(delta) > 200).sum())
    # Seeded, and independent of the input order.
    order = rng.permutation(len(ids))
    again, _ = bias_model.length_balanced_ids([ids[i] for i in order], delta[order], seed=9)
    assert sorted(again) == sorted(kept)
    assert sorted(bias_model.length_balanced_ids(ids, delta, seed=10)[0]) != sorted(kept)


def test_balancing_clip_keeps_far_differences_in_the_outer_bins():
    kept, table = bias_model.length_balanced_ids(["a", "b", "c"], [300, -195, 5], clip_outside=True)
    assert sorted(kept) == ["a", "b"] and table.attrs["outside"] == 0
