"""`traits`: the fixed-principle mode of Feedback Forensics. An LLM annotates every sampled pair with a fixed
list of traits ("Select the response that is more concise", ...): for each trait, which response shows more
of it. Each trait is then an annotator with agree / disagree votes against the label, ranked by strength
with bootstrap intervals, per slice (e.g. per source), with a trait-by-trait agreement matrix.

A second registered analyzer rather than a mode of `principles`, because its columns (one per trait) and
its settings (the trait list, no generation or clustering) differ entirely, and both can be active at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers import annotator_metrics as am
from analyzers import icai
from analyzers.base import Analyzer, Column, RunContext
from analyzers.principles import (LLM_RUNTIME_SETTINGS, LLMSettings, make_backend, mean_pair_tokens, pair_texts,
                                 sample_pairs)
from workbench.errors import AnalyzerError

# name: what the trait's principle says after "Select the response that". Written for this project.
DEFAULT_TRAITS = (
    "concise: is more concise",
    "verbose: is longer and more verbose",
    "uses_lists: uses bullet points or numbered lists",
    "uses_headers: uses markdown headers or bold text for structure",
    "uses_code: includes code or commands",
    "refuses: refuses or declines the request",
    "polite: is more polite and courteous",
    "rude: is more rude or dismissive",
    "confident: sounds more confident and assertive",
    "hedges: hedges more or expresses more uncertainty",
    "flatters: flatters or compliments the user",
    "follow_up: ends by asking the user a follow-up question",
    "apologizes: apologizes more",
    "direct_answer: answers the question more directly",
    "detailed: gives more details and specifics",
    "examples: gives more concrete examples",
    "accurate: is more factually accurate",
    "relevant: stays more on topic",
    "safe: is more careful about safety and harm",
    "warns: adds more warnings or disclaimers",
    "friendly: has a warmer and friendlier tone",
    "formal: uses a more formal register",
    "simple_language: uses simpler language",
    "technical: uses more technical vocabulary",
    "step_by_step: explains step by step",
    "cites_sources: cites sources or references",
    "emoji: uses emojis",
    "repeats_prompt: restates the user's question",
    "opinionated: expresses more personal opinions",
    "actionable: gives more actionable advice",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def parse_traits(traits: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """(column-safe name, principle text) per trait entry 'name: what it selects'; a clear error otherwise."""
    parsed: list[tuple[str, str]] = []
    for entry in traits:
        name, colon, text = str(entry).partition(":")
        name, text = name.strip().lower(), text.strip()
        if not colon or not _NAME.match(name) or not text:
            raise AnalyzerError(f"Setting 'traits.traits' entry '{entry}' must look like 'name: what the response does' "
                                "(name in lowercase letters, digits and _).")
        if any(name == other for other, _ in parsed):
            raise AnalyzerError(f"Setting 'traits.traits' names '{name}' twice.")
        parsed.append((name, f"{icai.PRINCIPLE_PREFIX} {text.rstrip('.')}."))
    if not parsed:
        raise AnalyzerError("Setting 'traits.traits' is empty; give at least one 'name: what the response does'.")
    return parsed


@dataclass(frozen=True)
class TraitsSettings(LLMSettings):
    traits: tuple[str, ...] = DEFAULT_TRAITS
    slice_by: str = "source"  # a pair column to break strengths down by (source, split, ...); empty for none
    bootstrap: int = 1000  # resamples for the strength intervals

    def validate(self) -> None:
        self.validate_llm("traits")
        parse_traits(self.traits)
        if self.bootstrap < 0:
            raise AnalyzerError(f"Setting 'traits.bootstrap' must be >= 0, got {self.bootstrap}.")
        if self.slice_by and self.slice_by not in ("source", "split", "chosen_position"):
            raise AnalyzerError(f"Setting 'traits.slice_by' must be source, split, chosen_position or empty, "
                                f"got '{self.slice_by}'.")


class TraitsAnalyzer(Analyzer):
    name = "traits"
    version = "1"
    description = ("Fixed-trait annotation: an LLM says for each of ~30 traits (concise, uses lists, refuses, polite, "
                   "flatters...) which response shows more of it; traits ranked by how well they explain the labels.")
    settings_class = TraitsSettings
    primary_metric = "top_trait_strength"
    default_batch_size = 512
    runtime_settings = LLM_RUNTIME_SETTINGS
    summary_descriptions = {
        "primary_metric": "The summary value this analyzer leads with.",
        "top_trait": "The trait with the highest strength (it best explains the labels).",
        "top_trait_strength": "Its strength: (agree - disagree) / total over the pairs it was asked about.",
        "traits": "Per trait: counts, relevance, accuracy, adjusted kappa, strength and its bootstrap 95% interval, "
                  "strongest first.",
        "by_slice": "Strength of each trait within each slice (slice_by column).",
        "agreement": "For two traits, among pairs where both pick a side, the share where they pick the same side.",
        "n_pairs": "Pairs in the run.",
        "sampled_pairs": "Decided pairs the LLM saw (max_pairs, seeded).",
        "llm_answers": "LLM answers used.",
        "llm_invalid_answers": "Of those, failed or unreadable answers.",
        "invalid_answer_rate": "llm_invalid_answers / llm_answers.",
    }

    def columns(self, settings: TraitsSettings) -> list[Column]:
        columns = [Column(f"trait_{name}", "str", f"'{text}' on this pair: agree (selects the chosen response), disagree "
                                                  "(selects the rejected one), abstain, invalid or not_tested.")
                   for name, text in parse_traits(settings.traits)]
        return columns + [Column("llm_answers", "int", "LLM answers about this pair."),
                          Column("llm_invalid_answers", "int", "Of those, failed or unreadable answers.")]

    def model_name(self, settings: TraitsSettings) -> str | None:
        return settings.backend

    def estimate(self, pairs: pd.DataFrame, settings: TraitsSettings) -> dict[str, Any]:
        sample = sample_pairs(pairs, settings.max_pairs, settings.seed)
        n_traits = len(parse_traits(settings.traits))
        per_call = min(settings.principles_per_call, n_traits)
        calls = settings.repetitions * len(sample) * int(np.ceil(n_traits / settings.principles_per_call))
        pair_tokens = mean_pair_tokens(pairs, sample, settings.max_chars)
        return {"calls": int(calls), "calls_by_step": {"trait annotation": int(calls)},
                "prompt_tokens": int(calls * (pair_tokens + 80 + 14 * per_call)),
                "max_output_tokens": int(calls * (16 + 8 * per_call)), "sampled_pairs": len(sample)}

    def prepare(self, pairs: pd.DataFrame, settings: TraitsSettings, context: RunContext) -> Any:
        traits = parse_traits(settings.traits)
        sample = sample_pairs(pairs, settings.max_pairs, settings.seed)
        if not sample:
            return {}
        backend = make_backend(settings, context)
        texts = pair_texts(pairs, sample, settings.max_chars)
        tested = icai.ask_principles(backend, texts, [text for _, text in traits], repetitions=settings.repetitions,
                                     per_call=settings.principles_per_call, rule=settings.combine, seed=settings.seed,
                                     temperature=settings.temperature, purpose="traits", message="annotating traits")
        return {pair.pair_id: {**{f"trait_{name}": str(tested.votes[row, j]) for j, (name, _) in enumerate(traits)},
                               "llm_answers": int(tested.answers[row]),
                               "llm_invalid_answers": int(tested.invalid_answers[row])}
                for row, pair in enumerate(texts)}

    def compute(self, batch: pd.DataFrame, settings: TraitsSettings, state: Any, context: RunContext) -> pd.DataFrame:
        names = [c.name for c in self.columns(settings)]
        records = []
        for pair_id in batch["pair_id"].astype(str):
            found = state.get(pair_id, {})
            records.append({name: found.get(name, 0 if name.startswith("llm_") else am.NOT_TESTED) for name in names})
        out = pd.DataFrame.from_records(records, columns=names, index=batch.index)
        for name in ("llm_answers", "llm_invalid_answers"):
            out[name] = out[name].astype("int64")
        return out

    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings: TraitsSettings) -> dict:
        merged = results.merge(pairs[["pair_id", "label", "source", "split", "chosen_position"]], on="pair_id",
                               how="left")
        names = [name for name, _ in parse_traits(settings.traits)]
        votes = merged[[f"trait_{name}" for name in names]].set_axis(names, axis=1)
        labels = merged["label"].tolist()
        table = am.metrics_table(votes, labels, n_resamples=settings.bootstrap, seed=settings.seed)
        texts = dict(parse_traits(settings.traits))
        table.insert(1, "principle", table["annotator"].map(texts))
        table = table.sort_values("strength", ascending=False, na_position="last", kind="mergesort")
        by_slice = (am.strength_by_slice(votes, labels, merged[settings.slice_by].tolist())
                    if settings.slice_by else pd.DataFrame(index=names))
        share, counts = am.agreement_matrix(votes)
        answers, invalid = int(merged["llm_answers"].sum()), int(merged["llm_invalid_answers"].sum())
        ranked = table.replace({np.nan: None}).to_dict("records")
        top = ranked[0] if ranked and ranked[0]["strength"] is not None else None
        return {
            "primary_metric": "top_trait_strength",
            "top_trait": top["annotator"] if top else None,
            "top_trait_strength": top["strength"] if top else None,
            "traits": ranked,
            "by_slice": {name: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
                         for name, row in by_slice.to_dict("index").items()},
            "agreement": {"share": share.astype(object).where(share.notna(), None).to_dict("index"),
                          "pairs": counts.to_dict("index")},
            "n_pairs": int(len(results)),
            "sampled_pairs": int((merged["llm_answers"] > 0).sum()),
            "llm_answers": answers,
            "llm_invalid_answers": invalid,
            "invalid_answer_rate": invalid / answers if answers else None,
        }

    def annotator_votes(self, results: pd.DataFrame, settings: TraitsSettings) -> list[tuple[str, str, pd.Series]]:
        indexed = results.set_index("pair_id")
        return [(f"trait_{name}", f"Trait annotator ({settings.backend}): {text}", indexed[f"trait_{name}"])
                for name, text in parse_traits(settings.traits)]
