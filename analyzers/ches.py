"""`ches`: which pairs will make DPO lower the chosen response's likelihood (Razin et al., ICLR 2025).

From one forward pass per side of the causal LM you plan to train, with only the final hidden state kept:
s+ and s-, the sums of the hidden states that predict the chosen and rejected tokens (methods.md section 1).
  CHES    = <s+, s-> - ||s+||^2
  ln-CHES = <s+/|y+|, s-/|y-|> - ||s+/|y+|||^2     (used for filtering: drop the highest)
Companions from the same pass: the normalized token edit distance between the responses (negated, so
higher = more alike), the inner product of the last-position hidden states, and both sides' log-probs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from analyzers.model_settings import (MODEL_RUNTIME_SETTINGS, CausalLMSettings, load_settings_model, model_cache,
                                      settings_model_label)
from workbench.lm_scoring import score_pairs


@dataclass(frozen=True)
class ChesSettings(CausalLMSettings):
    pass


def ches_scores(chosen_sum: np.ndarray, rejected_sum: np.ndarray, chosen_tokens: np.ndarray,
                rejected_tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CHES and ln-CHES per row from the hidden-state sums, in float64."""
    plus, minus = chosen_sum.astype(np.float64), rejected_sum.astype(np.float64)
    ches = np.einsum("ij,ij->i", plus, minus) - np.einsum("ij,ij->i", plus, plus)
    with np.errstate(invalid="ignore", divide="ignore"):
        plus_n = plus / chosen_tokens[:, None]
        minus_n = minus / rejected_tokens[:, None]
    ln_ches = np.einsum("ij,ij->i", plus_n, minus_n) - np.einsum("ij,ij->i", plus_n, plus_n)
    ln_ches = np.where((chosen_tokens > 0) & (rejected_tokens > 0), ln_ches, np.nan)
    return ches, ln_ches


def normalized_edit_similarity(first: list[list[int]], second: list[list[int]]) -> np.ndarray:
    """Minus the token Levenshtein distance over the longer length (0 = identical, -1 = nothing in common)."""
    from rapidfuzz.distance import Levenshtein

    out = np.empty(len(first), dtype=np.float64)
    for index, (a, b) in enumerate(zip(first, second)):
        longest = max(len(a), len(b))
        out[index] = 0.0 if longest == 0 else -Levenshtein.distance(a, b) / longest
    return out


def quantile_summary(values: pd.Series, prefix: str) -> dict:
    values = values.dropna()
    if values.empty:
        return {f"{prefix}_{name}": None for name in ("mean", "median", "p05", "p95")}
    return {f"{prefix}_mean": float(values.mean()), f"{prefix}_median": float(values.median()),
            f"{prefix}_p05": float(values.quantile(0.05)), f"{prefix}_p95": float(values.quantile(0.95))}


class ChesAnalyzer(Analyzer):
    name = "ches"
    version = "1"
    description = ("Likelihood displacement risk per pair (CHES and length-normalized ln-CHES, Razin et al. 2025) "
                   "under the causal LM you plan to train with DPO: higher = the model sees chosen and rejected as "
                   "more alike = DPO more likely to lower the chosen response's likelihood. Drop the highest ln-CHES.")
    settings_class = ChesSettings
    primary_metric = "ln_ches_median"
    default_batch_size = 64
    runtime_settings = MODEL_RUNTIME_SETTINGS
    summary_descriptions = {
        "ln_ches_mean": "Mean ln-CHES over pairs.", "ln_ches_median": "Median ln-CHES over pairs.",
        "ln_ches_p05": "5th percentile of ln-CHES.", "ln_ches_p95": "95th percentile of ln-CHES.",
        "ches_mean": "Mean CHES.", "ches_median": "Median CHES.", "ches_p05": "5th percentile of CHES.",
        "ches_p95": "95th percentile of CHES.",
        "ln_ches_length_correlation": "Spearman correlation of ln-CHES with the token length difference (chosen minus rejected).",
        "truncated_pairs": "Pairs with at least one side truncated to max_length.",
        "boundary_mismatch_pairs": "Pairs whose prompt tokens changed when tokenized together with a response.",
        "n_pairs": "Pairs scored.", "primary_metric": "The summary value this analyzer leads with.",
    }

    def columns(self, settings) -> list[Column]:
        return [
            Column("ln_ches", "float", "Length-normalized CHES: <s+/|y+|, s-/|y-|> - ||s+/|y+|||^2. Higher = more likelihood displacement expected; filter out the highest."),
            Column("ches", "float", "CHES: <s+, s-> - ||s+||^2, s = sum of final hidden states predicting the response tokens."),
            Column("edit_similarity", "float", "Minus the token edit distance between the responses over the longer length (0 = identical)."),
            Column("last_hidden_inner_product", "float", "Inner product of the last-position hidden states of the two sequences."),
            Column("chosen_logprob", "float", "log pi(chosen | prompt): sum over the chosen tokens and EOS."),
            Column("rejected_logprob", "float", "log pi(rejected | prompt): sum over the rejected tokens and EOS."),
            Column("chosen_tokens", "int", "Predicted tokens of the chosen side (response + EOS), |y+|."),
            Column("rejected_tokens", "int", "Predicted tokens of the rejected side (response + EOS), |y-|."),
            Column("truncated", "bool", "A side was cut to max_length tokens (the scores cover what was kept)."),
            Column("boundary_mismatch", "bool", "Tokenizing prompt + response changed the prompt's tokens; the sides were tokenized apart."),
        ]

    def model_name(self, settings) -> str | None:
        return settings_model_label(settings)

    def prepare(self, pairs: pd.DataFrame, settings: ChesSettings, context: RunContext) -> Any:
        context.progress(0, len(pairs), f"loading {settings_model_label(settings)}")
        return load_settings_model(settings)

    def compute(self, batch: pd.DataFrame, settings: ChesSettings, state: Any, context: RunContext) -> pd.DataFrame:
        scores = score_pairs(state, batch, settings.scoring_options(), want_vectors=True, context=context,
                             cache=model_cache(settings, state, context))
        chosen, rejected = scores.chosen, scores.rejected
        ches, ln_ches = ches_scores(chosen.hidden_sum, rejected.hidden_sum, chosen.n_tokens, rejected.n_tokens)
        out = pd.DataFrame(index=batch.index)
        out["ln_ches"] = ln_ches
        out["ches"] = ches
        out["edit_similarity"] = normalized_edit_similarity(scores.chosen_ids, scores.rejected_ids)
        out["last_hidden_inner_product"] = np.einsum("ij,ij->i", chosen.last_hidden.astype(np.float64),
                                                     rejected.last_hidden.astype(np.float64))
        out["chosen_logprob"] = chosen.logprob_sum
        out["rejected_logprob"] = rejected.logprob_sum
        out["chosen_tokens"] = chosen.n_tokens
        out["rejected_tokens"] = rejected.n_tokens
        out["truncated"] = chosen.truncated | rejected.truncated
        out["boundary_mismatch"] = chosen.boundary_mismatch | rejected.boundary_mismatch
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        summary = {"primary_metric": self.primary_metric, "n_pairs": int(len(results))}
        summary.update(quantile_summary(results["ln_ches"], "ln_ches"))
        summary.update(quantile_summary(results["ches"], "ches"))
        delta = results["chosen_tokens"] - results["rejected_tokens"]
        valid = results["ln_ches"].notna()
        summary["ln_ches_length_correlation"] = (
            float(results.loc[valid, "ln_ches"].rank().corr(delta[valid].rank())) if valid.sum() > 2 else None)
        summary["truncated_pairs"] = int(results["truncated"].sum())
        summary["boundary_mismatch_pairs"] = int(results["boundary_mismatch"].sum())
        return summary
