"""Ranking accuracy and margin bookkeeping shared by the logprob, reward and direction analyzers and the
Margins page (methods.md section 2). Pure numpy; every function works from per-pair columns."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

ALPHA_CLIP = 1e-3
BUCKETS = ("likely_flipped", "ambiguous", "strong")


def clip_alpha(alpha: np.ndarray) -> np.ndarray:
    """Rater proportions with 1 replaced by 1 - 1e-3 (and 0 by 1e-3), so the log-odds stay finite."""
    return np.clip(np.asarray(alpha, dtype=np.float64), ALPHA_CLIP, 1 - ALPHA_CLIP)


def ranking_accuracy(margin: np.ndarray) -> float | None:
    """R: share of pairs with log pi(y+) >= log pi(y-) (NaN margins left out)."""
    margin = np.asarray(margin, dtype=np.float64)
    margin = margin[~np.isnan(margin)]
    return float(np.mean(margin >= 0)) if margin.size else None


def idealized_ranking_accuracy(reference_margin: np.ndarray, alpha: np.ndarray, beta: float) -> float | None:
    """R*: share of pairs the DPO/RLHF optimum ranks correctly,
    1[(log pi_ref(y+) - log pi_ref(y-)) + (1/beta) log(alpha / (1 - alpha)) > 0], computed in log space."""
    reference_margin = np.asarray(reference_margin, dtype=np.float64)
    alpha = clip_alpha(alpha)
    keep = ~np.isnan(reference_margin) & ~np.isnan(alpha)
    if not keep.any():
        return None
    log_odds = np.log(alpha[keep]) - np.log1p(-alpha[keep])
    return float(np.mean(reference_margin[keep] + log_odds / beta > 0))


def margin_buckets(mean_margin: np.ndarray, ambiguous_margin: float) -> np.ndarray:
    """likely_flipped (mean < -t), ambiguous (|mean| <= t), strong (mean > t); None where the margin is missing."""
    mean_margin = np.asarray(mean_margin, dtype=np.float64)
    out = np.full(mean_margin.shape, None, dtype=object)
    out[mean_margin < -ambiguous_margin] = "likely_flipped"
    out[np.abs(mean_margin) <= ambiguous_margin] = "ambiguous"
    out[mean_margin > ambiguous_margin] = "strong"
    return out


def reliability_curve(predicted: np.ndarray, observed: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean observed rater proportion per bin of predicted P(chosen preferred): a calibration table."""
    frame = pd.DataFrame({"predicted": predicted, "observed": observed}).dropna()
    if frame.empty:
        return pd.DataFrame(columns=["bin_low", "bin_high", "predicted_mean", "observed_mean", "pairs"])
    edges = np.linspace(0, 1, bins + 1)
    frame["bin"] = np.clip(np.digitize(frame["predicted"], edges[1:-1]), 0, bins - 1)
    table = frame.groupby("bin").agg(predicted_mean=("predicted", "mean"), observed_mean=("observed", "mean"),
                                     pairs=("predicted", "size")).reset_index()
    table["bin_low"] = edges[table["bin"]]
    table["bin_high"] = edges[table["bin"] + 1]
    return table[["bin_low", "bin_high", "predicted_mean", "observed_mean", "pairs"]]


def rater_alphas(pairs: pd.DataFrame, field: str, default: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair rater proportion (share preferring chosen) from a pair column or metadata key, else ``default``.

    Returns (alpha, from_data): from_data marks pairs whose proportion came from the data."""
    n = len(pairs)
    alpha = np.full(n, float(default), dtype=np.float64)
    from_data = np.zeros(n, dtype=bool)
    if not field:
        return alpha, from_data
    if field in pairs.columns and field not in ("metadata",):
        values = pd.to_numeric(pairs[field], errors="coerce").to_numpy(np.float64)
    else:
        values = np.array([_metadata_number(meta, field) for meta in pairs.get("metadata", [None] * n)], dtype=np.float64)
    ok = ~np.isnan(values) & (values >= 0) & (values <= 1)
    alpha[ok] = values[ok]
    from_data[ok] = True
    return alpha, from_data


def _metadata_number(metadata, key: str) -> float:
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return math.nan
    if not isinstance(metadata, dict):
        return math.nan
    value = metadata.get(key)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def clean_number(value) -> float | None:
    """A JSON-safe float (None for NaN/inf/None)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def decided_mask(pairs: pd.DataFrame, results: pd.DataFrame) -> np.ndarray:
    """Rows of ``results`` whose pair has a winner (ties excluded from accuracies)."""
    labels = results[["pair_id"]].merge(pairs[["pair_id", "label"]], on="pair_id", how="left")["label"]
    return (labels != "tie").to_numpy()
