"""`direction`: a Legend-style margin along a direction in the model's hidden space (methods.md section 2).

The direction v = mean h(set 1) - mean h(set 2) of last-token final hidden states, from two contrast text sets
the user provides (files) or from the chosen responses of pairs with two values of a column / metadata key
(e.g. source = safety vs source = chat). Per pair: margin = (h_last(x, y+) - h_last(x, y-)) . v / ||v||:
positive = the chosen side lies further toward set 1 than the rejected side.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from analyzers.margins import decided_mask
from analyzers.model_settings import (MODEL_RUNTIME_SETTINGS, CausalLMSettings, load_settings_model,
                                      settings_model_label)
from workbench.errors import AnalyzerError
from workbench.lm_scoring import encode_sequences, prompt_text, score_pairs, score_sequences

MAX_CONTRAST_TEXTS = 2000


@dataclass(frozen=True)
class DirectionSettings(CausalLMSettings):
    positive_texts: str = field(default="", metadata={"help": "File of set-1 texts: .txt (one per line) or .jsonl with 'response' (and optional 'prompt')."})
    negative_texts: str = field(default="", metadata={"help": "File of set-2 texts, same format."})
    contrast_field: str = field(default="", metadata={"help": "Instead of files: a column or metadata key; set 1/2 = chosen responses of pairs with the two values below."})
    positive_value: str = ""
    negative_value: str = ""

    def validate(self) -> None:
        super().validate()
        files = bool(self.positive_texts.strip()) or bool(self.negative_texts.strip())
        if files and not (self.positive_texts.strip() and self.negative_texts.strip()):
            raise AnalyzerError("Settings 'positive_texts' and 'negative_texts' go together: give both files.")
        if files and self.contrast_field.strip():
            raise AnalyzerError("Give either contrast files or 'contrast_field', not both.")
        if not files and not self.contrast_field.strip():
            raise AnalyzerError("The direction needs two contrast sets: set 'positive_texts' and 'negative_texts' "
                                "(files) or 'contrast_field' with 'positive_value' and 'negative_value'.")
        if self.contrast_field.strip() and not (self.positive_value.strip() and self.negative_value.strip()):
            raise AnalyzerError("Setting 'contrast_field' needs both 'positive_value' and 'negative_value'.")


def read_contrast_file(path: str) -> list[tuple[str, str]]:
    """(prompt, response) pairs from a .txt (one response per line) or .jsonl file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise AnalyzerError(f"Contrast file '{path}' does not exist.")
    items = []
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if file.suffix == ".jsonl":
                try:
                    record = json.loads(line)
                    items.append((str(record.get("prompt", "")), str(record["response"])))
                except (ValueError, KeyError, AttributeError):
                    raise AnalyzerError(f"{file.name}, line {number}: expected a JSON object with a 'response' field.") from None
            else:
                items.append(("", line.rstrip("\n")))
    if not items:
        raise AnalyzerError(f"Contrast file '{path}' has no texts.")
    return items[:MAX_CONTRAST_TEXTS]


def contrast_from_pairs(pairs: pd.DataFrame, column: str, value: str) -> list[tuple[str, str]]:
    if column in pairs.columns and column != "metadata":
        values = pairs[column].astype(str)
    else:
        values = pairs["metadata"].map(lambda m: str((json.loads(m) if isinstance(m, str) else (m or {})).get(column)))
    chosen = pairs.loc[values == value, ["prompt", "chosen"]]
    if chosen.empty:
        raise AnalyzerError(f"No pair has {column} = '{value}'; pick a value that occurs in the data.")
    return list(chosen.itertuples(index=False, name=None))[:MAX_CONTRAST_TEXTS]


def last_token_states(loaded, items: list[tuple[str, str]], settings: CausalLMSettings, context: RunContext) -> np.ndarray:
    options = settings.scoring_options()
    prompts, specials = zip(*(prompt_text(loaded.tokenizer, p, None, options.use_chat_template) for p, _ in items))
    sequences = encode_sequences(loaded.tokenizer, prompts, [r for _, r in items], specials, options.max_length)
    return score_sequences(loaded, sequences, options, want_vectors=True, context=context,
                           progress_label="contrast texts").last_hidden


class DirectionAnalyzer(Analyzer):
    name = "direction"
    version = "1"
    description = ("Margin along a direction in the model's hidden space built from two contrast sets (Legend): "
                   "(h_last(chosen) - h_last(rejected)) . v/||v||, v = mean h(set 1) - mean h(set 2).")
    settings_class = DirectionSettings
    primary_metric = "agreement_with_labels"
    default_batch_size = 64
    runtime_settings = MODEL_RUNTIME_SETTINGS
    summary_descriptions = {
        "agreement_with_labels": "Share of decided pairs (ties excluded) whose chosen side lies further toward set 1.",
        "truncated_pairs": "Pairs with a side truncated to max_length.",
        "n_pairs": "Pairs scored.", "primary_metric": "The summary value this analyzer leads with.",
    }

    def columns(self, settings) -> list[Column]:
        return [
            Column("direction_margin", "float", "(h_last(chosen) - h_last(rejected)) . v/||v||: positive = chosen lies further toward set 1."),
            Column("chosen_projection", "float", "h_last(prompt, chosen) . v/||v||."),
            Column("rejected_projection", "float", "h_last(prompt, rejected) . v/||v||."),
            Column("truncated", "bool", "A side was cut to max_length tokens."),
        ]

    def model_name(self, settings) -> str | None:
        return settings_model_label(settings)

    def prepare(self, pairs: pd.DataFrame, settings: DirectionSettings, context: RunContext) -> Any:
        if settings.contrast_field.strip():
            positive = contrast_from_pairs(pairs, settings.contrast_field.strip(), settings.positive_value.strip())
            negative = contrast_from_pairs(pairs, settings.contrast_field.strip(), settings.negative_value.strip())
        else:
            positive, negative = read_contrast_file(settings.positive_texts), read_contrast_file(settings.negative_texts)
        loaded = load_settings_model(settings)
        states_1 = last_token_states(loaded, positive, settings, context).astype(np.float64)
        states_2 = last_token_states(loaded, negative, settings, context).astype(np.float64)
        direction = states_1.mean(axis=0) - states_2.mean(axis=0)
        norm = float(np.linalg.norm(direction))
        if norm == 0:
            raise AnalyzerError("The two contrast sets give the same mean hidden state; pick sets that differ.")
        unit = direction / norm
        return {"model": loaded, "unit": unit}

    def compute(self, batch: pd.DataFrame, settings: DirectionSettings, state: Any, context: RunContext) -> pd.DataFrame:
        scores = score_pairs(state["model"], batch, settings.scoring_options(), want_vectors=True, context=context)
        unit = state["unit"]
        out = pd.DataFrame(index=batch.index)
        chosen = scores.chosen.last_hidden.astype(np.float64) @ unit
        rejected = scores.rejected.last_hidden.astype(np.float64) @ unit
        out["direction_margin"] = chosen - rejected
        out["chosen_projection"] = chosen
        out["rejected_projection"] = rejected
        out["truncated"] = scores.chosen.truncated | scores.rejected.truncated
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        decided = results[decided_mask(pairs, results)]
        return {
            "primary_metric": self.primary_metric,
            "agreement_with_labels": float((decided["direction_margin"] > 0).mean()) if len(decided) else None,
            "truncated_pairs": int(results["truncated"].sum()),
            "n_pairs": int(len(results)),
        }
