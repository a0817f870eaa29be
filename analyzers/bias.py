"""`bias`: which surface factors predict the label (methods.md section 3).

Per response: lengths, markdown formatting, tone (refusals, apologies, hedging, flattery, follow-up
offers), readability, repetition, overlap with and embedding relevance to the prompt; per pair the
difference chosen minus rejected, and the A/B position when the data records it. The statistics
(Bradley-Terry over factors with bootstrap intervals, win rates, length-controlled effects, held-out AUC,
per slice) are computed from these columns by ``analyzers.bias_model``; the summary holds them overall
and per source, and the Bias page computes them for any slice.

The factors of all pairs are extracted once in ``prepare`` (vectorized; benchmarks/bench_bias.py),
because the per-pair ``style_score`` and ``wins_only_on_length`` columns need a model fitted over the
whole dataset; ``compute`` then hands out each batch's rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from analyzers.basic import DEFAULT_TOKENIZER, REGEX_TOKENIZER, load_tokenizer
from analyzers import bias_factors as factors_module
from analyzers.bias_factors import FACTOR_BY_NAME, factor_names
from analyzers.bias_model import (MIN_MODEL_PAIRS, POSITION_FACTOR, ReportOptions, bias_report, cross_fitted_scores,
                                  decided_mask, delta_matrix, fit_scores, model_factors)
from workbench.errors import AnalyzerError

NO_RELEVANCE = "none"
LENGTH_UNIT = "tokens"
WINS_ONLY_ON_LENGTH = ("The chosen response has more tokens, and the factor model without length (fitted on the other "
                       "folds) predicts the rejected one: style_score < 0. Empty for ties and small datasets.")
STYLE_SCORE = ("Held-out log-odds that the chosen side wins according to every factor except length (5-fold "
               "cross-fitted Bradley-Terry model; ties are scored by the model fitted on all decided pairs).")


@dataclass(frozen=True)
class BiasSettings:
    tokenizer: str = field(default=DEFAULT_TOKENIZER, metadata={"help": "Token counts: 'regex', the embedded "
                           "all-MiniLM-L6-v2 tokenizer, or a tokenizer folder (as in the basic analyzer)."})
    relevance_encoder: str = field(default="default", metadata={"help": "Sentence encoder for the prompt-relevance "
                                   "factor: 'default' (embedded all-MiniLM-L6-v2), a sentence-transformers folder, or "
                                   "'none' to skip it."})
    bootstrap: int = field(default=200, metadata={"help": "Bootstrap resamples for the 95% intervals in the summary."})
    seed: int = field(default=0, metadata={"help": "Seed of the bootstrap and of the cross-validation folds."})
    l2_penalty: float = field(default=1.0, metadata={"help": "L2 penalty of the logistic fits (on standardized "
                              "differences); keeps perfectly separable data finite."})
    device: str = field(default="auto", metadata={"help": "Where the relevance encoder runs: auto, cpu, cuda, mps."})
    batch_size: int = 4096

    def validate(self) -> None:
        if not self.tokenizer.strip():
            raise AnalyzerError("Setting 'bias.tokenizer' must name a tokenizer ('regex', the default, or a folder).")
        if not self.relevance_encoder.strip():
            raise AnalyzerError("Setting 'bias.relevance_encoder' must be 'default', a folder, or 'none'.")
        if not 0 <= self.bootstrap <= 10_000:
            raise AnalyzerError("Setting 'bias.bootstrap' must be between 0 and 10000.")
        if not self.l2_penalty > 0:
            raise AnalyzerError("Setting 'bias.l2_penalty' must be a positive number.")
        if self.batch_size <= 0:
            raise AnalyzerError("Setting 'bias.batch_size' must be positive.")

    @property
    def uses_relevance(self) -> bool:
        return self.relevance_encoder.strip().lower() != NO_RELEVANCE


def report_options(settings: BiasSettings) -> ReportOptions:
    return ReportOptions(bootstrap=settings.bootstrap, seed=settings.seed, l2=settings.l2_penalty, length_unit=LENGTH_UNIT)


class BiasAnalyzer(Analyzer):
    name = "bias"
    version = "1"
    description = ("Surface factors per response (length, formatting, tone, readability, repetition, prompt overlap "
                   "and relevance, A/B position) and their chosen-minus-rejected differences; a Bradley-Terry model "
                   "of the label on them with bootstrap intervals (see the Bias page).")
    settings_class = BiasSettings
    primary_metric = "length_effect"
    default_batch_size = 4096
    runtime_settings = ("batch_size", "device")
    summary_descriptions = {
        "primary_metric": "The summary value this analyzer leads with.",
        "length_effect": "Bradley-Terry coefficient of the token-length difference alone (log-odds per standard "
                         "deviation of the difference); > 0 means the longer side tends to win.",
        "length_effect_low": "Lower end of its bootstrap 95% interval.",
        "length_effect_high": "Upper end of its bootstrap 95% interval.",
        "n_pairs": "Pairs analyzed.",
        "ties": "Pairs labelled as ties (left out of every statistic that needs a winner).",
        "decided_pairs": "Pairs with a winner.",
        "longer_wins_share": "Share of decided pairs with unequal token lengths whose chosen response is longer.",
        "longer_wins_pairs": "Pairs that share is computed over.",
        "length_baseline_accuracy": "Accuracy of always picking the longer response (a coin flip when equally long).",
        "position_a_share": "Share of decided pairs with a recorded position whose chosen response was shown as A.",
        "mean_chosen_tokens": "Mean tokens of the chosen responses (decided pairs).",
        "mean_rejected_tokens": "Mean tokens of the rejected responses (decided pairs).",
        "auc_all_factors": "Held-out (5-fold) ROC-AUC of the factor model: 0.5 = factors say nothing about the label.",
        "auc_length_only": "Held-out ROC-AUC of the token-length difference alone.",
        "auc_without_length": "Held-out ROC-AUC of every factor except length.",
        "wins_only_on_length_pairs": "Pairs whose chosen side is longer but loses on every other factor together "
                                     "(column wins_only_on_length).",
        "top_factors": "The five factors with the largest |coefficient| in the model with every factor whose "
                       "bootstrap 95% interval excludes 0.",
        "by_source": "The same figures per source.",
        "note": "Why the model was not fitted, when it was not.",
    }

    # ------------------------------------------------------------ columns
    def columns(self, settings: BiasSettings) -> list[Column]:
        columns = []
        for name in factor_names(settings.uses_relevance):
            factor = FACTOR_BY_NAME[name]
            text = factor.definition[0].lower() + factor.definition[1:].rstrip(".")
            side_type = factor.dtype
            if name == "tokens":
                text += f" ({settings.tokenizer} tokenizer)"
            if name == "relevance":
                text += f" ({settings.relevance_encoder} encoder)"
            columns.append(Column(f"chosen_{name}", side_type, f"Chosen response: {text}."))
            columns.append(Column(f"rejected_{name}", side_type, f"Rejected response: {text}."))
            delta_type = "int" if side_type in ("int", "bool") else "float"
            columns.append(Column(f"delta_{name}", delta_type, f"Chosen minus rejected: {text}."))
        columns.append(Column(f"delta_{POSITION_FACTOR}", "int", "+1 when the chosen response was shown as A, -1 as B, "
                                                                   "0 when the data does not record positions."))
        columns.append(Column("style_score", "float", STYLE_SCORE))
        columns.append(Column("wins_only_on_length", "bool", WINS_ONLY_ON_LENGTH))
        return columns

    def model_name(self, settings: BiasSettings) -> str | None:
        names = [n for n in (settings.tokenizer if settings.tokenizer != REGEX_TOKENIZER else None,
                             settings.relevance_encoder if settings.uses_relevance else None) if n]
        return ", ".join(names) or None

    # ------------------------------------------------------------ the work
    def prepare(self, pairs: pd.DataFrame, settings: BiasSettings, context: RunContext) -> Any:
        return {"rows": self.extract(pairs, settings, context)}

    def extract(self, pairs: pd.DataFrame, settings: BiasSettings, context: RunContext) -> pd.DataFrame:
        """Every per-pair column for ``pairs`` (indexed by pair_id)."""
        total_steps = 4 if settings.uses_relevance else 3
        context.progress(0, total_steps, "loading the tokenizer")
        count_tokens = load_tokenizer(settings.tokenizer)
        prompts, chosen, rejected = (pairs[c].fillna("").astype(str).tolist() for c in ("prompt", "chosen", "rejected"))
        relevance = None
        if settings.uses_relevance:
            context.progress(1, total_steps, "embedding prompts and responses")
            relevance = factors_module.embedding_relevance(prompts, chosen, rejected, settings.relevance_encoder,
                                                           device=settings.device, cache_dir=context.cache_dir,
                                                           context=context)
        context.check_cancelled()
        context.progress(total_steps - 2, total_steps, "extracting factors")
        chosen_factors, rejected_factors = factors_module.pair_factors(prompts, chosen, rejected, count_tokens, relevance)
        context.check_cancelled()
        out: dict[str, Any] = {}
        for name in factor_names(settings.uses_relevance):
            kind = FACTOR_BY_NAME[name].dtype
            chosen_values, rejected_values = chosen_factors[name].to_numpy(), rejected_factors[name].to_numpy()
            out[f"chosen_{name}"], out[f"rejected_{name}"] = chosen_values, rejected_values
            if kind == "bool":
                out[f"delta_{name}"] = chosen_values.astype(np.int64) - rejected_values.astype(np.int64)
            else:
                out[f"delta_{name}"] = chosen_values - rejected_values
        out[f"delta_{POSITION_FACTOR}"] = factors_module.position_delta(pairs["chosen_position"]).astype(np.int64)
        frame = pd.DataFrame(out)
        context.progress(total_steps - 1, total_steps, "fitting the factor model without length")
        frame["style_score"], frame["wins_only_on_length"] = self._style(frame, pairs["label"], settings)
        frame.index = pairs["pair_id"].astype(str).to_numpy()
        context.progress(total_steps, total_steps, "factors ready")
        return frame

    @staticmethod
    def _style(frame: pd.DataFrame, labels: pd.Series, settings: BiasSettings) -> tuple[np.ndarray, pd.arrays.BooleanArray]:
        decided = decided_mask(labels)
        n = len(frame)
        scores = np.full(n, np.nan)
        if decided.sum() >= MIN_MODEL_PAIRS:
            factors = [f for f in model_factors(frame, LENGTH_UNIT) if f != LENGTH_UNIT]
            deltas = delta_matrix(frame, factors)
            scores[decided] = cross_fitted_scores(deltas[decided], l2=settings.l2_penalty, seed=settings.seed)
            scores[~decided] = fit_scores(deltas[decided], deltas[~decided], l2=settings.l2_penalty)
        longer = frame[f"delta_{LENGTH_UNIT}"].to_numpy() > 0
        only_length = pd.array(longer & (scores < 0), dtype="boolean")
        only_length[~decided | np.isnan(scores)] = pd.NA
        return scores, only_length

    def compute(self, batch: pd.DataFrame, settings: BiasSettings, state: Any, context: RunContext) -> pd.DataFrame:
        rows = state["rows"].loc[batch["pair_id"].astype(str).to_numpy()]
        return rows.set_index(batch.index)

    # ------------------------------------------------------------ the summary
    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings: BiasSettings) -> dict:
        frame = results.merge(pairs[["pair_id", "label", "source"]], on="pair_id", how="left")
        report = bias_report(frame, frame["source"], report_options(settings))
        summary = {"primary_metric": self.primary_metric, **_headline(report["overall"])}
        summary["wins_only_on_length_pairs"] = int(frame["wins_only_on_length"].fillna(False).astype(bool).sum())
        summary["by_source"] = {source: _headline(part) for source, part in report["slices"].items()}
        return summary


def _headline(report: dict) -> dict:
    """The summary's figures for one slice report."""
    stats = report["statistics"]
    length = report.get("length_effect") or {}
    headline = {
        "length_effect": length.get("coefficient"), "length_effect_low": length.get("low"),
        "length_effect_high": length.get("high"),
        **{k: stats.get(k) for k in ("n_pairs", "ties", "decided_pairs", "longer_wins_share", "longer_wins_pairs",
                                     "length_baseline_accuracy", "position_a_share", "mean_chosen_tokens",
                                     "mean_rejected_tokens")},
        "auc_all_factors": report["auc"].get("all_factors"), "auc_length_only": report["auc"].get("length_only"),
        "auc_without_length": report["auc"].get("without_length"),
    }
    significant = [e for e in report["effects"] if e["coefficient"] is not None and e["low"] is not None
                   and (e["low"] > 0 or e["high"] < 0)]
    significant.sort(key=lambda e: -abs(e["coefficient"]))
    headline["top_factors"] = [{"factor": e["factor"], "coefficient": round(e["coefficient"], 4),
                                "low": round(e["low"], 4), "high": round(e["high"], 4)} for e in significant[:5]]
    if report.get("note"):
        headline["note"] = report["note"]
    return headline
