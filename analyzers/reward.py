"""`reward`: how strong each preference is according to one or several reward models (methods.md section 2).

r(x, y) is read from a sequence-classification head at the last non-pad token; the margin is
r(x, y+) - r(x, y-). With several reward models, the mean and standard deviation of the margins across
models give the preference strength ("Secrets of RLHF Part II"), and each pair lands in a bucket:
likely_flipped (mean < -t), ambiguous (|mean| <= t) or strong (mean > t). sigmoid(mean) is a soft label.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from analyzers.margins import BUCKETS, clean_number, decided_mask, margin_buckets
from analyzers.model_settings import MODEL_RUNTIME_SETTINGS
from workbench.errors import AnalyzerError
from workbench.lm_scoring import padded_batch, prompt_messages_list, sigmoid, token_budget_batches
from workbench.models import load_reward_model


@dataclass(frozen=True)
class RewardSettings:
    reward_models: tuple = field(default=(), metadata={"help": "One or more reward model folders or hub ids (comma-separated): sequence classifiers with one output."})
    ambiguous_margin: float = field(default=0.5, metadata={"help": "Mean margins within +-this are 'ambiguous'; below -this 'likely_flipped'; above 'strong'."})
    max_length: int = field(default=1024, metadata={"help": "Most tokens per prompt + response; longer inputs keep their end and are flagged."})
    use_chat_template: bool = field(default=True, metadata={"help": "Format prompt and response with the reward model's chat template when it has one."})
    device: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    token_budget: int = 8192
    batch_size: int = 64

    def validate(self) -> None:
        if not [m for m in self.reward_models if str(m).strip()]:
            raise AnalyzerError("Setting 'reward_models' is empty; give one or more reward model folders or hub ids.")
        if self.ambiguous_margin < 0:
            raise AnalyzerError("Setting 'ambiguous_margin' must be >= 0.")
        if self.max_length < 2 or self.token_budget < self.max_length:
            raise AnalyzerError("Settings need max_length >= 2 and token_budget >= max_length.")
        if self.batch_size <= 0:
            raise AnalyzerError("Setting 'batch_size' must be positive.")

    @property
    def model_specs(self) -> list[str]:
        return [str(m).strip() for m in self.reward_models if str(m).strip()]


def reward_input_ids(tokenizer, prompt: str, prompt_messages, response: str, use_chat_template: bool,
                     max_length: int) -> tuple[list[int], bool]:
    """Token ids of one (prompt, response) as the reward model reads it, and whether it was truncated."""
    if use_chat_template and getattr(tokenizer, "chat_template", None):
        messages = prompt_messages_list(prompt, prompt_messages) + [{"role": "assistant", "content": response or ""}]
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        ids = tokenizer((prompt or "") + (response or ""), add_special_tokens=True)["input_ids"]
    if not ids:
        ids = [tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.pad_token_id]
    if len(ids) > max_length:  # keep the end: the response is what is being scored
        return ids[len(ids) - max_length:], True
    return ids, False


def score_rewards(loaded, sequences: list[list[int]], token_budget: int, context: RunContext | None = None) -> np.ndarray:
    """One scalar reward per sequence, read at its last real token; right padding, length-sorted batches."""
    import torch

    from workbench.lm_scoring import final_hidden_states

    model, device = loaded.model, loaded.device
    pad_id = loaded.tokenizer.pad_token_id or 0
    rewards = np.zeros(len(sequences), dtype=np.float64)
    head = getattr(model, "score", None)
    for batch in token_budget_batches([(0, [len(s)]) for s in sequences], token_budget):
        if context is not None:
            context.check_cancelled()
        ids, mask = padded_batch([sequences[i] for i in batch], pad_id)
        last = mask.sum(dim=1) - 1
        with torch.inference_mode():
            if head is not None:  # decoder reward models: read the head at the last real token ourselves
                positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
                hidden = final_hidden_states(model, ids.to(device), mask.to(device), positions.to(device))
                picked = hidden[torch.arange(len(batch), device=device), last.to(device)]
                values = head(picked).float()[:, 0]
            else:  # encoder classifiers pool on their own (e.g. the first token)
                values = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()[:, 0]
        rewards[batch] = values.double().cpu().numpy()
    return rewards


class RewardAnalyzer(Analyzer):
    name = "reward"
    version = "1"
    description = ("Reward-model margins r(chosen) - r(rejected) from one or several reward models; with several, "
                   "their mean and spread (preference strength) and buckets likely_flipped / ambiguous / strong.")
    settings_class = RewardSettings
    primary_metric = "agreement_with_labels"
    default_batch_size = 64
    runtime_settings = MODEL_RUNTIME_SETTINGS
    summary_descriptions = {
        "agreement_with_labels": "Share of decided pairs (ties excluded) whose mean reward margin is positive.",
        "bucket_counts": "Pairs per bucket: likely_flipped (mean margin < -t), ambiguous (|mean| <= t), strong (mean > t).",
        "estimated_flip_rate": "Share of decided pairs in the likely_flipped bucket: an estimate of label noise.",
        "mean_margin": "Mean of the mean margin over pairs.", "mean_margin_std": "Mean spread of the margins across reward models.",
        "per_model_agreement": "Per reward model: share of decided pairs with a positive margin.",
        "truncated_pairs": "Pairs with a side truncated for at least one reward model.",
        "n_pairs": "Pairs scored.", "primary_metric": "The summary value this analyzer leads with.",
    }

    def columns(self, settings) -> list[Column]:
        columns = []
        for number, spec in enumerate(settings.model_specs, start=1):
            columns += [
                Column(f"chosen_reward_{number}", "float", f"r(prompt, chosen) from reward model {number} ({spec})."),
                Column(f"rejected_reward_{number}", "float", f"r(prompt, rejected) from reward model {number} ({spec})."),
                Column(f"margin_{number}", "float", f"r(chosen) - r(rejected) from reward model {number} ({spec})."),
            ]
        return columns + [
            Column("margin_mean", "float", "Mean reward margin across the reward models (preference strength)."),
            Column("margin_std", "float", "Standard deviation of the margins across reward models (0 with one model)."),
            Column("soft_label", "float", "sigmoid(margin_mean): the probability the chosen side is preferred, for soft-label export."),
            Column("bucket", "str", f"likely_flipped (mean < -{settings.ambiguous_margin:g}), ambiguous (|mean| <= {settings.ambiguous_margin:g}) or strong."),
            Column("truncated", "bool", "A side was cut to max_length tokens for at least one reward model."),
        ]

    def model_name(self, settings) -> str | None:
        return ", ".join(settings.model_specs) or None

    def prepare(self, pairs: pd.DataFrame, settings: RewardSettings, context: RunContext) -> Any:
        loaded = []
        for spec in settings.model_specs:
            context.progress(0, len(pairs), f"loading reward model {spec}")
            loaded.append(load_reward_model(spec, device=settings.device, dtype=settings.dtype,
                                            trust_remote_code=settings.trust_remote_code))
        return loaded

    def compute(self, batch: pd.DataFrame, settings: RewardSettings, state: Any, context: RunContext) -> pd.DataFrame:
        out = pd.DataFrame(index=batch.index)
        messages = batch["prompt_messages"] if "prompt_messages" in batch else [None] * len(batch)
        margins, truncated = [], np.zeros(len(batch), dtype=bool)
        for number, loaded in enumerate(state, start=1):
            rewards = {}
            for side in ("chosen", "rejected"):
                encoded = [reward_input_ids(loaded.tokenizer, p, m, r, settings.use_chat_template, settings.max_length)
                           for p, m, r in zip(batch["prompt"], messages, batch[side])]
                truncated |= np.array([cut for _, cut in encoded], dtype=bool)
                rewards[side] = score_rewards(loaded, [ids for ids, _ in encoded], settings.token_budget, context)
            out[f"chosen_reward_{number}"] = rewards["chosen"]
            out[f"rejected_reward_{number}"] = rewards["rejected"]
            out[f"margin_{number}"] = rewards["chosen"] - rewards["rejected"]
            margins.append(out[f"margin_{number}"].to_numpy())
        stacked = np.vstack(margins) if margins else np.zeros((0, len(batch)))
        out["margin_mean"] = stacked.mean(axis=0)
        out["margin_std"] = stacked.std(axis=0)
        out["soft_label"] = sigmoid(out["margin_mean"].to_numpy())
        out["bucket"] = margin_buckets(out["margin_mean"].to_numpy(), settings.ambiguous_margin)
        out["truncated"] = truncated
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        decided = results[decided_mask(pairs, results)]
        counts = results["bucket"].value_counts()
        return {
            "primary_metric": self.primary_metric,
            "agreement_with_labels": float((decided["margin_mean"] > 0).mean()) if len(decided) else None,
            "bucket_counts": {bucket: int(counts.get(bucket, 0)) for bucket in BUCKETS},
            "estimated_flip_rate": float((decided["bucket"] == "likely_flipped").mean()) if len(decided) else None,
            "mean_margin": clean_number(results["margin_mean"].mean()) if len(results) else None,
            "mean_margin_std": clean_number(results["margin_std"].mean()) if len(results) else None,
            "per_model_agreement": {spec: float((decided[f"margin_{n}"] > 0).mean()) if len(decided) else None
                                    for n, spec in enumerate(settings.model_specs, start=1)},
            "truncated_pairs": int(results["truncated"].sum()),
            "n_pairs": int(len(results)),
        }
