"""Statistics over the bias analyzer's per-pair columns (methods.md section 3).

Everything here takes a plain DataFrame holding the ``delta_<factor>`` columns (chosen minus rejected),
the per-side length columns and ``label``; ties are excluded from every computation that needs a winner.

- Bradley-Terry over factors: logistic regression of "A preferred" on standardized factor differences,
  no intercept, fitted on both orientations of every pair (A = chosen with label 1, A = rejected with
  label 0). Both orientations have the same loss, log(1 + exp(-d.beta)), so the fit is done once on the
  chosen-minus-rejected rows with weight 2; ``tests/analyzers/test_bias_model.py`` checks this against
  scikit-learn on the explicitly stacked rows. An L2 penalty (``l2``) keeps separable data finite.
- Bootstrap 95% intervals: pairs resampled with replacement (seeded), percentile intervals.
- Univariate win rates, length-controlled effects (each factor fitted with the length difference),
  cross-validated held-out ROC-AUC, the cheap dataset statistics, and length balancing for export.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzers.bias_factors import FACTOR_BY_NAME, LENGTH_FACTORS

POSITION_FACTOR = "position_a"
POSITION_DEFINITION = "+1 when the chosen response was shown as A, -1 as B, 0 when the data does not record positions."
MIN_MODEL_PAIRS = 20  # fewer decided pairs than this: statistics only, no model
CV_FOLDS = 5
DEFAULT_BOOTSTRAP = 200
DEFAULT_L2 = 1.0
BALANCE_BIN_TOKENS = 10
BALANCE_MAX_TOKENS = 200
_Z95 = 1.959963984540054


def definition(factor: str) -> str:
    if factor == POSITION_FACTOR:
        return POSITION_DEFINITION
    return FACTOR_BY_NAME[factor].definition


def decided_mask(labels: pd.Series) -> np.ndarray:
    """Pairs with a winner: every label but 'tie' (and missing labels)."""
    return (labels.notna() & (labels.astype("object") != "tie")).to_numpy()


# ---------------------------------------------------------------- the logistic fit

def fit_bradley_terry(deltas: np.ndarray, *, weights: np.ndarray | None = None, l2: float = DEFAULT_L2,
                      start: np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-9) -> np.ndarray:
    """Coefficients beta minimizing sum_i 2 w_i log(1 + exp(-d_i . beta)) + l2/2 |beta|^2 (Newton's method).

    ``deltas`` holds chosen-minus-rejected factor differences of decided pairs (already standardized). The
    objective is the logistic loss over both orientations of each pair without intercept.
    """
    n, k = deltas.shape
    beta = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    if k == 0:
        return beta
    w = 2.0 * (np.ones(n) if weights is None else np.asarray(weights, dtype=float))

    def objective(candidate: np.ndarray) -> float:
        return float(w @ np.logaddexp(0.0, -(deltas @ candidate)) + 0.5 * l2 * candidate @ candidate)

    current = objective(beta)
    for _ in range(max_iter):
        margin = deltas @ beta
        p_lose = 0.5 * (1.0 - np.tanh(0.5 * margin))  # sigmoid(-margin), overflow-free
        gradient = -(deltas.T @ (w * p_lose)) + l2 * beta
        curvature = w * p_lose * (1.0 - p_lose)
        hessian = (deltas.T * curvature) @ deltas + l2 * np.eye(k)
        step = np.linalg.solve(hessian, gradient)
        # Newton's step, halved until the objective goes down (a far start can overshoot).
        scale = 1.0
        while True:
            candidate = beta - scale * step
            value = objective(candidate)
            if value <= current + 1e-12 * abs(current) or scale < 1e-8:
                break
            scale *= 0.5
        beta, current = candidate, value
        if np.max(np.abs(scale * step)) < tol * max(1.0, np.max(np.abs(beta))):
            break
    return beta


def fit_bradley_terry_many(deltas: np.ndarray, weights: np.ndarray, *, l2: float = DEFAULT_L2, max_iter: int = 100,
                           tol: float = 1e-9) -> np.ndarray:
    """``fit_bradley_terry`` for many weight vectors at once (one row of ``weights`` each), vectorized over the
    rows; meant for one or two factors (the bootstrap of the length-only model)."""
    replicates, (n, k) = len(weights), deltas.shape
    w = 2.0 * np.asarray(weights, dtype=float)
    beta = np.zeros((replicates, k))
    products = (deltas[:, :, None] * deltas[:, None, :]).reshape(n, k * k)

    def objective(candidate: np.ndarray) -> np.ndarray:
        return (w * np.logaddexp(0.0, -(candidate @ deltas.T))).sum(axis=1) + 0.5 * l2 * (candidate ** 2).sum(axis=1)

    current = objective(beta)
    for _ in range(max_iter):
        p_lose = 0.5 * (1.0 - np.tanh(0.5 * (beta @ deltas.T)))
        gradient = -((w * p_lose) @ deltas) + l2 * beta
        hessian = ((w * p_lose * (1.0 - p_lose)) @ products).reshape(replicates, k, k) + l2 * np.eye(k)
        step = np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]
        scale = np.ones(replicates)
        for _ in range(30):
            candidate = beta - scale[:, None] * step
            value = objective(candidate)
            worse = value > current + 1e-12 * np.abs(current)
            if not worse.any():
                break
            scale = np.where(worse, 0.5 * scale, scale)
        beta, current = candidate, value
        if np.max(np.abs(scale[:, None] * step)) < tol * max(1.0, float(np.max(np.abs(beta)))):
            break
    return beta


def wald_interval(deltas: np.ndarray, beta: np.ndarray, l2: float = DEFAULT_L2) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation 95% intervals from the information of the pairs (each pair counted once)."""
    p_lose = 0.5 * (1.0 - np.tanh(0.5 * (deltas @ beta)))
    information = (deltas.T * (p_lose * (1.0 - p_lose))) @ deltas + 0.5 * l2 * np.eye(len(beta))
    errors = np.sqrt(np.clip(np.diag(np.linalg.inv(information)), 0.0, None))
    return beta - _Z95 * errors, beta + _Z95 * errors


def standard_scales(deltas: np.ndarray) -> np.ndarray:
    """Standard deviation of each difference over both orientations (the mean is 0 there): its RMS."""
    if len(deltas) == 0:
        return np.zeros(deltas.shape[1])
    return np.sqrt(np.mean(np.square(deltas), axis=0))


def bootstrap_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    """Replicates x n resampling counts (pairs drawn with replacement), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    if replicates <= 0 or n == 0:
        return np.zeros((max(replicates, 0), n), dtype=np.int64)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(replicates)])


def percentile_interval(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.percentile(samples, 2.5, axis=0), np.percentile(samples, 97.5, axis=0)


def roc_auc(scores: np.ndarray) -> float | None:
    """Held-out AUC over both orientations: positives are the chosen-minus-rejected scores s_i, negatives -s_j.

    Mann-Whitney form: P(s_i > -s_j) with ties counted half.
    """
    from scipy.stats import rankdata

    m = len(scores)
    if m == 0:
        return None
    ranks = rankdata(np.concatenate([scores, -scores]))
    return float((ranks[:m].sum() - m * (m + 1) / 2) / (m * m))


def wilson_interval(successes: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = successes / n
    denominator = 1 + _Z95 ** 2 / n
    centre = (p + _Z95 ** 2 / (2 * n)) / denominator
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95 ** 2 / (4 * n * n)) / denominator
    return centre - half, centre + half


def fold_ids(n: int, folds: int, seed: int) -> np.ndarray:
    """A fold number per row, from a seeded permutation (balanced fold sizes)."""
    rng = np.random.default_rng(seed)
    ids = np.empty(n, dtype=np.int64)
    ids[rng.permutation(n)] = np.arange(n) % folds
    return ids


def cross_fitted_scores(deltas: np.ndarray, *, l2: float = DEFAULT_L2, folds: int = CV_FOLDS, seed: int = 0) -> np.ndarray:
    """Out-of-fold scores d_i . beta (standardized within each training part) for decided pairs."""
    n = len(deltas)
    scores = np.zeros(n)
    assignment = fold_ids(n, folds, seed)
    for fold in range(folds):
        test = assignment == fold
        train = ~test
        scales = standard_scales(deltas[train])
        usable = scales > 0
        if not usable.any() or not test.any():
            continue
        beta = fit_bradley_terry(deltas[train][:, usable] / scales[usable], l2=l2)
        scores[test] = (deltas[test][:, usable] / scales[usable]) @ beta
    return scores


def fit_scores(train: np.ndarray, apply_to: np.ndarray, *, l2: float = DEFAULT_L2) -> np.ndarray:
    """Scores of ``apply_to`` rows from a model fitted on all of ``train`` (for pairs outside the fit, e.g. ties)."""
    scales = standard_scales(train)
    usable = scales > 0
    if not usable.any() or len(apply_to) == 0:
        return np.zeros(len(apply_to))
    beta = fit_bradley_terry(train[:, usable] / scales[usable], l2=l2)
    return (apply_to[:, usable] / scales[usable]) @ beta


# ---------------------------------------------------------------- dataset statistics

def length_unit_of(frame: pd.DataFrame, preferred: str = "tokens") -> str:
    for unit in (preferred, "tokens", "words", "chars"):
        if f"delta_{unit}" in frame and frame[f"delta_{unit}"].notna().any():
            return unit
    raise ValueError("The frame has no length difference column (delta_tokens, delta_words or delta_chars).")


def dataset_statistics(frame: pd.DataFrame, length_unit: str = "tokens") -> dict:
    """Cheap figures over decided pairs: longer-wins share, length-only baseline, position-A share, mean lengths."""
    decided = frame[decided_mask(frame["label"])]
    delta = pd.to_numeric(decided[f"delta_{length_unit}"], errors="coerce").dropna().to_numpy()
    unequal = delta[delta != 0]
    stats = {
        "n_pairs": int(len(frame)),
        "ties": int((frame["label"].astype("object") == "tie").sum()),
        "decided_pairs": int(len(decided)),
        "length_unit": length_unit,
        "longer_wins_share": float(np.mean(unequal > 0)) if len(unequal) else None,
        "longer_wins_pairs": int(len(unequal)),
        "length_baseline_accuracy": float((np.sum(delta > 0) + 0.5 * np.sum(delta == 0)) / len(delta)) if len(delta) else None,
    }
    if f"delta_{POSITION_FACTOR}" in decided:
        position = pd.to_numeric(decided[f"delta_{POSITION_FACTOR}"], errors="coerce").fillna(0).to_numpy()
        shown = position[position != 0]
        stats["position_a_share"] = float(np.mean(shown > 0)) if len(shown) else None
        stats["position_pairs"] = int(len(shown))
    for unit in LENGTH_FACTORS:
        for side in ("chosen", "rejected"):
            column = f"{side}_{unit}"
            if column in decided and decided[column].notna().any():
                stats[f"mean_{side}_{unit}"] = float(pd.to_numeric(decided[column]).mean())
    return stats


def win_rate_by_length(frame: pd.DataFrame, length_unit: str = "tokens", bin_width: int = 10,
                       max_abs: int = BALANCE_MAX_TOKENS) -> pd.DataFrame:
    """Share of decided pairs whose longer response won, by absolute length difference (bins of ``bin_width``;
    the last bin holds every difference above ``max_abs``). Equal lengths are left out."""
    decided = frame[decided_mask(frame["label"])]
    delta = pd.to_numeric(decided[f"delta_{length_unit}"], errors="coerce").dropna().to_numpy()
    delta = delta[delta != 0]
    size = np.abs(delta)
    last = max_abs // bin_width
    index = np.minimum(np.ceil(size / bin_width).astype(np.int64), last + 1)
    rows = []
    for bin_number in range(1, last + 2):
        members = index == bin_number
        n = int(members.sum())
        if not n:
            continue
        wins = int((delta[members] > 0).sum())
        low, high = wilson_interval(wins, n)
        low_edge = (bin_number - 1) * bin_width
        rows.append({"bin": f"{low_edge + 1}–{bin_number * bin_width}" if bin_number <= last else f">{max_abs}",
                     "from": low_edge + 1, "to": bin_number * bin_width if bin_number <= last else None,
                     "pairs": n, "longer_won": wins, "longer_wins_share": wins / n, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["bin", "from", "to", "pairs", "longer_won", "longer_wins_share", "low", "high"])


# ---------------------------------------------------------------- the per-slice report

@dataclass(frozen=True)
class ReportOptions:
    bootstrap: int = DEFAULT_BOOTSTRAP
    seed: int = 0
    l2: float = DEFAULT_L2
    length_unit: str = "tokens"
    min_pairs: int = MIN_MODEL_PAIRS


def model_factors(frame: pd.DataFrame, length_unit: str) -> list[str]:
    """The factors of the joint model: one length measure, every non-length factor present, and position
    when the data records it."""
    factors = [length_unit]
    for name in FACTOR_BY_NAME:
        if name not in LENGTH_FACTORS and f"delta_{name}" in frame and frame[f"delta_{name}"].notna().any():
            factors.append(name)
    position = f"delta_{POSITION_FACTOR}"
    if position in frame and (pd.to_numeric(frame[position], errors="coerce").fillna(0) != 0).any():
        factors.append(POSITION_FACTOR)
    return factors


def delta_matrix(frame: pd.DataFrame, factors: list[str]) -> np.ndarray:
    """Chosen-minus-rejected differences as floats; a missing difference counts as 0 (no difference)."""
    return np.column_stack([pd.to_numeric(frame[f"delta_{f}"], errors="coerce").astype(float).fillna(0.0).to_numpy()
                            for f in factors]) if factors else np.zeros((len(frame), 0))


def slice_report(frame: pd.DataFrame, options: ReportOptions = ReportOptions()) -> dict:
    """Statistics, factor effects, win rates and held-out AUC for one set of pairs (ties excluded from fits).

    Per factor: ``coefficient`` in the joint model (every factor, bootstrap percentile 95% interval),
    ``alone`` (the factor by itself) and ``controlled`` (the factor with the length difference), both with
    Wald 95% intervals; coefficients are log-odds per standard deviation of the difference. The headline
    ``length_effect`` is the length-only coefficient with a bootstrap interval.
    """
    unit = options.length_unit if f"delta_{options.length_unit}" in frame else length_unit_of(frame, options.length_unit)
    report: dict = {"statistics": dataset_statistics(frame, unit), "effects": [], "auc": {}, "note": None,
                    "length_effect": None, "length_unit": unit}
    decided = frame[decided_mask(frame["label"])].reset_index(drop=True)
    factors = model_factors(frame, unit)
    every = [f for f in dict.fromkeys([*LENGTH_FACTORS, *factors]) if f"delta_{f}" in decided]
    raw_all = delta_matrix(decided, every)
    effects: dict[str, dict] = {}
    for index, factor in enumerate(every):
        column = raw_all[:, index]
        moved = column[column != 0]
        wins = int((moved > 0).sum())
        low, high = wilson_interval(wins, len(moved))
        effects[factor] = {"factor": factor, "definition": definition(factor), "in_model": factor in factors,
                           "win_rate": wins / len(moved) if len(moved) else None, "win_pairs": int(len(moved)),
                           "win_low": low, "win_high": high, "coefficient": None, "low": None, "high": None,
                           "alone": None, "alone_low": None, "alone_high": None, "controlled": None,
                           "controlled_low": None, "controlled_high": None, "scale": None}
    report["effects"] = list(effects.values())
    if len(decided) < options.min_pairs:
        report["note"] = (f"Only {len(decided)} decided pairs (fewer than {options.min_pairs}): the factor model is "
                          "not fitted; win rates and statistics only.")
        return report

    all_scales = standard_scales(raw_all)
    for index, factor in enumerate(every):
        effects[factor]["scale"] = float(all_scales[index])
        if all_scales[index] == 0:
            effects[factor]["in_model"] = False
            continue
        alone_x = raw_all[:, [index]] / all_scales[index]
        alone = fit_bradley_terry(alone_x, l2=options.l2)
        a_low, a_high = wald_interval(alone_x, alone, options.l2)
        effects[factor].update(alone=float(alone[0]), alone_low=float(a_low[0]), alone_high=float(a_high[0]))

    raw = delta_matrix(decided, factors)
    scales = standard_scales(raw)
    usable = scales > 0
    names = [f for f, ok in zip(factors, usable) if ok]
    x = raw[:, usable] / scales[usable]
    beta = fit_bradley_terry(x, l2=options.l2)
    weights = bootstrap_weights(len(x), options.bootstrap, options.seed)
    if options.bootstrap:
        samples = np.stack([fit_bradley_terry(x, weights=w, l2=options.l2, start=beta) for w in weights])
        low, high = percentile_interval(samples)
    else:
        low = high = np.full(len(names), np.nan)
    for j, f in enumerate(names):
        effects[f].update(coefficient=float(beta[j]), low=_finite(low[j]), high=_finite(high[j]))

    if unit in names:
        length_x = x[:, [names.index(unit)]]
        point = fit_bradley_terry(length_x, l2=options.l2)
        if options.bootstrap:
            boot = fit_bradley_terry_many(length_x, weights, l2=options.l2)[:, 0]
            l_low, l_high = np.percentile(boot, 2.5), np.percentile(boot, 97.5)
        else:
            l_low = l_high = float("nan")
        report["length_effect"] = {"coefficient": float(point[0]), "low": _finite(l_low), "high": _finite(l_high)}
        for j, f in enumerate(names):
            if f == unit:
                continue
            pair_x = np.column_stack([length_x[:, 0], x[:, j]])
            controlled = fit_bradley_terry(pair_x, l2=options.l2)
            c_low, c_high = wald_interval(pair_x, controlled, options.l2)
            effects[f].update(controlled=float(controlled[1]), controlled_low=float(c_low[1]),
                              controlled_high=float(c_high[1]))

    # Held-out AUC and accuracy (out-of-fold scores), for all factors, length alone, and all but length.
    non_length = [j for j, f in enumerate(factors) if f != unit]
    for label, columns in (("all_factors", list(range(len(factors)))), ("length_only", [factors.index(unit)]),
                           ("without_length", non_length)):
        if not columns:
            report["auc"][label] = None
            continue
        scores = cross_fitted_scores(raw[:, columns], l2=options.l2, seed=options.seed)
        report["auc"][label] = roc_auc(scores)
        report["auc"][f"{label}_accuracy"] = float(np.mean(scores > 0) + 0.5 * np.mean(scores == 0))
    report["effects"] = list(effects.values())
    return report


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def bias_report(frame: pd.DataFrame, slice_values: pd.Series | None = None, options: ReportOptions = ReportOptions(),
                max_slices: int = 20) -> dict:
    """The overall report plus one per slice value (the ``max_slices`` most frequent values; missing -> '(none)')."""
    result = {"overall": slice_report(frame, options), "slices": {}, "options": options.__dict__}
    if slice_values is None:
        return result
    values = slice_values.astype("object").where(slice_values.notna(), "(none)").astype(str).reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    for value in values.value_counts().index[:max_slices]:
        result["slices"][value] = slice_report(frame[(values == value).to_numpy()], options)
    result["slices_left_out"] = max(0, int(values.nunique()) - max_slices)
    return result


def effects_table(report: dict) -> pd.DataFrame:
    return pd.DataFrame(report["effects"])


# ---------------------------------------------------------------- length balancing

def balance_bin(delta: np.ndarray, bin_width: int = BALANCE_BIN_TOKENS) -> np.ndarray:
    """Signed bin of each length difference: 0 for equal lengths, +k for (w(k-1), wk], -k for its mirror."""
    return (np.sign(delta) * np.ceil(np.abs(delta) / bin_width)).astype(np.int64)


def length_balanced_ids(pair_ids, length_delta, *, seed: int = 0, bin_width: int = BALANCE_BIN_TOKENS,
                        max_abs: int = BALANCE_MAX_TOKENS, clip_outside: bool = False) -> tuple[list[str], pd.DataFrame]:
    """Pair ids kept by length balancing, and the counts per bin.

    Token-length differences (chosen minus rejected) are binned in ``bin_width``-token bins over
    [-max_abs, max_abs]; each bin and its mirror are subsampled (seeded, without replacement) to the smaller
    of their two counts, so the chosen side is longer exactly as often as shorter in every bin. Equal lengths
    are kept. Differences beyond ``max_abs`` are dropped, or put in the outermost bins with ``clip_outside``.
    Pass decided pairs only (ties have no winner to balance).
    """
    ids = np.asarray([str(i) for i in pair_ids], dtype=object)
    delta = pd.to_numeric(pd.Series(length_delta), errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(delta)
    ids, delta = ids[present], delta[present]
    order = np.argsort(ids, kind="stable")  # draws depend on the ids, not the input order
    ids, delta = ids[order], delta[order]
    if clip_outside:
        delta = np.clip(delta, -max_abs, max_abs)
    inside = np.abs(delta) <= max_abs
    bins = balance_bin(delta, bin_width)
    rng = np.random.default_rng(seed)
    kept: list[str] = list(ids[inside & (bins == 0)])
    rows = [{"bin": "0", "chosen_longer_pairs": int((inside & (bins == 0)).sum()), "chosen_shorter_pairs": None,
             "kept_each": int((inside & (bins == 0)).sum()), "kept": int((inside & (bins == 0)).sum())}]
    for k in range(1, int(math.ceil(max_abs / bin_width)) + 1):
        longer = np.flatnonzero(inside & (bins == k))
        shorter = np.flatnonzero(inside & (bins == -k))
        keep = min(len(longer), len(shorter))
        if keep:
            kept.extend(ids[np.sort(rng.choice(longer, keep, replace=False))])
            kept.extend(ids[np.sort(rng.choice(shorter, keep, replace=False))])
        rows.append({"bin": f"±{(k - 1) * bin_width + 1}–{k * bin_width}", "chosen_longer_pairs": int(len(longer)),
                     "chosen_shorter_pairs": int(len(shorter)), "kept_each": keep, "kept": 2 * keep})
    table = pd.DataFrame(rows)
    table.attrs["outside"] = int((~inside).sum())
    return kept, table
