"""`logprob`: how the reference model already ranks each pair (methods.md section 2).

Sequence log-probs of chosen and rejected under the reference model (the one DPO starts from), the per-pair
difficulty log pi_ref(y+) - log pi_ref(y-), ranking accuracy R and the length-normalized R~, the idealized
ranking accuracy R* for several beta values (Chen et al.), and optionally the DPO implicit reward margin
(with a policy model) and the density-ratio margin (with a strong and a weak model).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from analyzers.margins import (clean_number, decided_mask, idealized_ranking_accuracy, ranking_accuracy,
                               rater_alphas)
from analyzers.model_settings import (MODEL_RUNTIME_SETTINGS, CausalLMSettings, load_settings_model, model_cache,
                                      settings_model_label)
from workbench.errors import AnalyzerError
from workbench.lm_scoring import score_pairs
from workbench.models import model_label


@dataclass(frozen=True)
class LogprobSettings(CausalLMSettings):
    policy_model: str = field(default="", metadata={"help": "Optional trained policy: with it, the DPO implicit reward margin is computed against 'model' as reference."})
    beta: float = field(default=0.1, metadata={"help": "DPO beta for the implicit reward margin."})
    ideal_betas: tuple = field(default=(0.01, 0.1, 0.5, 1.0), metadata={"help": "Beta values for the idealized ranking accuracy R* (comma-separated)."})
    rater_alpha: float = field(default=0.75, metadata={"help": "Share of raters preferring the chosen side, used where the data has no rater proportion."})
    rater_alpha_field: str = field(default="", metadata={"help": "A column or metadata key holding each pair's rater proportion (0..1); empty = use rater_alpha."})
    strong_model: str = field(default="", metadata={"help": "Optional strong model for the density-ratio margin (with weak_model)."})
    weak_model: str = field(default="", metadata={"help": "Optional weak model for the density-ratio margin (with strong_model)."})

    def validate(self) -> None:
        super().validate()
        if self.beta <= 0:
            raise AnalyzerError("Setting 'beta' must be positive.")
        if not self.ideal_betas or any(float(b) <= 0 for b in self.ideal_betas):
            raise AnalyzerError("Setting 'ideal_betas' must be one or more positive numbers.")
        if not 0 < self.rater_alpha <= 1:
            raise AnalyzerError("Setting 'rater_alpha' must be in (0, 1].")
        if bool(self.strong_model.strip()) != bool(self.weak_model.strip()):
            raise AnalyzerError("Settings 'strong_model' and 'weak_model' go together: give both or neither.")


def beta_key(beta: float) -> str:
    return f"{float(beta):g}"


class LogprobAnalyzer(Analyzer):
    name = "logprob"
    version = "1"
    description = ("Reference-model log-probs of chosen and rejected, the per-pair difficulty (reference log-ratio), "
                   "ranking accuracy R and R~, the idealized ranking accuracy R* (Chen et al.), and optionally the "
                   "DPO implicit reward margin (with a policy) and the density-ratio margin (strong vs weak model).")
    settings_class = LogprobSettings
    primary_metric = "ranking_accuracy"
    default_batch_size = 64
    runtime_settings = MODEL_RUNTIME_SETTINGS

    summary_descriptions = {
        "ranking_accuracy": "R: share of decided pairs (ties excluded) where log pi_ref(chosen) >= log pi_ref(rejected).",
        "ranking_accuracy_normalized": "R~: the same with per-token mean log-probs (length-normalized).",
        "idealized_accuracy": "R* per beta: share of decided pairs the DPO optimum would rank correctly given the rater proportions.",
        "alignment_gap": "R* minus R per beta: how far the reference ranking is from what DPO could reach at best.",
        "mean_reference_margin": "Mean log pi_ref(chosen) - log pi_ref(rejected).",
        "misranked_pairs": "Decided pairs the reference model ranks the wrong way (margin < 0).",
        "dpo_ranking_accuracy": "Share of decided pairs with a positive DPO implicit reward margin (policy given).",
        "density_ratio_accuracy": "Share of decided pairs with a positive density-ratio margin (strong and weak given).",
        "rater_alpha_from_data": "Pairs whose rater proportion came from the data (the rest use the rater_alpha setting).",
        "truncated_pairs": "Pairs with at least one side truncated to max_length.",
        "decided_pairs": "Pairs with a winner (ties excluded from the accuracies).",
        "n_pairs": "Pairs scored.", "primary_metric": "The summary value this analyzer leads with.",
    }

    def columns(self, settings) -> list[Column]:
        return [
            Column("chosen_logprob", "float", "log pi_ref(chosen | prompt), summed over the chosen tokens and EOS."),
            Column("rejected_logprob", "float", "log pi_ref(rejected | prompt), summed over the rejected tokens and EOS."),
            Column("chosen_logprob_mean", "float", "Per-token mean log-prob of the chosen side."),
            Column("rejected_logprob_mean", "float", "Per-token mean log-prob of the rejected side."),
            Column("chosen_tokens", "int", "Predicted tokens of the chosen side (response + EOS)."),
            Column("rejected_tokens", "int", "Predicted tokens of the rejected side (response + EOS)."),
            Column("reference_margin", "float", "Difficulty: log pi_ref(chosen) - log pi_ref(rejected). Negative = the reference model mis-ranks the pair; the more negative, the harder for DPO to fix."),
            Column("reference_margin_mean", "float", "The same margin with per-token mean log-probs."),
            Column("ranks_correctly", "bool", "The reference model gives the chosen side at least the rejected side's log-prob."),
            Column("ranks_correctly_normalized", "bool", "The same with per-token mean log-probs."),
            Column("rater_alpha", "float", "Share of raters preferring the chosen side used for R* (from the data or the rater_alpha setting)."),
            Column("dpo_margin", "float", f"DPO implicit reward margin beta*[(log pi - log pi_ref)(chosen) - (log pi - log pi_ref)(rejected)], beta={settings.beta:g} (empty without a policy model)."),
            Column("density_ratio_margin", "float", "[log pi_strong - log pi_weak](chosen) - [...](rejected) (empty without strong and weak models)."),
            Column("truncated", "bool", "A side was cut to max_length tokens under at least one of the models."),
        ]

    def model_name(self, settings) -> str | None:
        names = [settings_model_label(settings)]
        names += [f"policy={model_label(settings.policy_model)}"] if settings.policy_model.strip() else []
        if settings.strong_model.strip():
            names += [f"strong={model_label(settings.strong_model)}", f"weak={model_label(settings.weak_model)}"]
        return ", ".join(names)

    def prepare(self, pairs: pd.DataFrame, settings: LogprobSettings, context: RunContext) -> Any:
        models = {"reference": load_settings_model(settings)}
        for role in ("policy_model", "strong_model", "weak_model"):
            spec = getattr(settings, role).strip()
            if spec:
                context.progress(0, len(pairs), f"loading {model_label(spec)}")
                models[role] = load_settings_model(settings, spec)
        return models

    def _score(self, role: str, batch: pd.DataFrame, settings: LogprobSettings, models: dict, context: RunContext):
        loaded = models[role]
        return score_pairs(loaded, batch, settings.scoring_options(), want_vectors=False, context=context,
                           cache=model_cache(settings, loaded, context))

    def compute(self, batch: pd.DataFrame, settings: LogprobSettings, state: Any, context: RunContext) -> pd.DataFrame:
        reference = self._score("reference", batch, settings, state, context)
        out = pd.DataFrame(index=batch.index)
        out["chosen_logprob"] = reference.chosen.logprob_sum
        out["rejected_logprob"] = reference.rejected.logprob_sum
        out["chosen_logprob_mean"] = reference.chosen.logprob_mean
        out["rejected_logprob_mean"] = reference.rejected.logprob_mean
        out["chosen_tokens"] = reference.chosen.n_tokens
        out["rejected_tokens"] = reference.rejected.n_tokens
        out["reference_margin"] = out["chosen_logprob"] - out["rejected_logprob"]
        out["reference_margin_mean"] = out["chosen_logprob_mean"] - out["rejected_logprob_mean"]
        out["ranks_correctly"] = out["reference_margin"] >= 0
        out["ranks_correctly_normalized"] = out["reference_margin_mean"] >= 0
        out["rater_alpha"] = rater_alphas(batch, settings.rater_alpha_field, settings.rater_alpha)[0]
        truncated = reference.chosen.truncated | reference.rejected.truncated
        out["dpo_margin"] = np.nan
        if "policy_model" in state:
            policy = self._score("policy_model", batch, settings, state, context)
            chosen_ratio = policy.chosen.logprob_sum - reference.chosen.logprob_sum
            rejected_ratio = policy.rejected.logprob_sum - reference.rejected.logprob_sum
            out["dpo_margin"] = settings.beta * (chosen_ratio - rejected_ratio)
            truncated |= policy.chosen.truncated | policy.rejected.truncated
        out["density_ratio_margin"] = np.nan
        if "strong_model" in state:
            strong = self._score("strong_model", batch, settings, state, context)
            weak = self._score("weak_model", batch, settings, state, context)
            out["density_ratio_margin"] = ((strong.chosen.logprob_sum - weak.chosen.logprob_sum)
                                           - (strong.rejected.logprob_sum - weak.rejected.logprob_sum))
            truncated |= strong.chosen.truncated | strong.rejected.truncated | weak.chosen.truncated | weak.rejected.truncated
        out["truncated"] = truncated
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        decided = results[decided_mask(pairs, results)]
        margin = decided["reference_margin"].to_numpy(np.float64)
        ideal = {beta_key(b): idealized_ranking_accuracy(margin, decided["rater_alpha"].to_numpy(), float(b))
                 for b in settings.ideal_betas}
        accuracy = ranking_accuracy(margin)
        _, from_data = rater_alphas(pairs, settings.rater_alpha_field, settings.rater_alpha)
        return {
            "primary_metric": self.primary_metric,
            "ranking_accuracy": accuracy,
            "ranking_accuracy_normalized": ranking_accuracy(decided["reference_margin_mean"].to_numpy(np.float64)),
            "idealized_accuracy": ideal,
            "alignment_gap": {key: (None if value is None or accuracy is None else value - accuracy)
                              for key, value in ideal.items()},
            "mean_reference_margin": clean_number(np.nanmean(margin)) if margin.size else None,
            "misranked_pairs": int((margin < 0).sum()),
            "dpo_ranking_accuracy": _positive_share(decided["dpo_margin"]),
            "density_ratio_accuracy": _positive_share(decided["density_ratio_margin"]),
            "rater_alpha_from_data": int(from_data.sum()),
            "truncated_pairs": int(results["truncated"].sum()),
            "decided_pairs": int(len(decided)),
            "n_pairs": int(len(results)),
        }


def _positive_share(values: pd.Series) -> float | None:
    values = values.dropna()
    return float((values > 0).mean()) if len(values) else None
