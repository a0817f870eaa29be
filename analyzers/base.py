"""The contract every analyzer follows (in the spirit of scikit-learn estimators).

- Settings live in a small frozen dataclass; they are serialised with every result and are part of
  the cache key, so re-running with the same settings on the same data reuses the stored result.
- ``prepare`` does dataset-level work once (load a model, count duplicate prompts, train an SAE);
  ``compute`` turns one batch of pairs into per-pair columns, row-aligned with the batch;
  ``summarize`` derives the summary from the per-pair columns alone, so it is always recomputable.
- The job runner (workbench/jobs.py) does batching, progress, cancel, persistence and resume.
Analyzers never import streamlit.
"""
from __future__ import annotations

import ast
import dataclasses
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from workbench.errors import AnalyzerError, JobCancelled

# The pair columns an analyzer receives (one DataFrame row per pair).
INPUT_COLUMNS = ("pair_id", "prompt", "chosen", "rejected", "label", "chosen_position", "source", "split",
                 "prompt_messages", "chosen_messages", "rejected_messages", "metadata")


@dataclass
class RunContext:
    """What a running analyzer may use besides its inputs: progress reporting and cancellation."""

    report: Callable[[int, int, str], None] = lambda done, total, message: None
    should_cancel: Callable[[], bool] = lambda: False
    # The workspace's cache folder (embeddings, per-sequence log-probs); None outside a workspace.
    cache_dir: Path | None = None
    extras: dict = field(default_factory=dict)

    def progress(self, done: int, total: int, message: str = "") -> None:
        self.report(done, total, message)

    def check_cancelled(self) -> None:
        if self.should_cancel():
            raise JobCancelled("The run was cancelled; the batches finished so far are kept and a new run resumes from them.")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "float" | "int" | "bool" | "str"
    description: str


class Analyzer(ABC):
    name: str = ""
    version: str = "1"
    description: str = ""
    settings_class: type = object
    primary_metric: str = ""
    default_batch_size: int = 1024
    # Settings that change how a run goes, not what it computes: left out of the cache key.
    runtime_settings: tuple[str, ...] = ("batch_size",)
    # One-line definitions of the summary's keys, for the UI.
    summary_descriptions: dict[str, str] = {}

    @abstractmethod
    def columns(self, settings) -> list[Column]:
        """The per-pair columns ``compute`` returns."""

    def model_name(self, settings) -> str | None:
        """The model the results depend on, for provenance (None for model-free analyzers)."""
        return None

    def prepare(self, pairs: pd.DataFrame, settings, context: RunContext) -> Any:
        return None

    @abstractmethod
    def compute(self, batch: pd.DataFrame, settings, state: Any, context: RunContext) -> pd.DataFrame:
        """Per-pair columns for ``batch``, one row per input row, in the same order."""

    @abstractmethod
    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings) -> dict:
        """Small summary from the per-pair columns (``results`` has pair_id plus ``columns``)."""

    def finish(self, summary: dict, results: pd.DataFrame, pairs: pd.DataFrame, settings,
               context: RunContext) -> dict:
        """Summary work that needs the run's context (a model or LLM call with its cache, progress,
        cancellation), done after ``summarize``; none by default."""
        return summary

    # ------------------------------------------------------------ settings
    def default_settings(self):
        return self.settings_class()

    def settings_from_dict(self, values: dict[str, Any]):
        """Settings from a dict of (possibly text) values, converted to each field's type."""
        known = {f.name: f for f in dataclasses.fields(self.settings_class)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise AnalyzerError(f"Unknown setting '{unknown[0]}' for analyzer '{self.name}'; "
                                f"settings: {', '.join(known) or 'none'}.")
        converted = {}
        defaults = self.settings_class()
        for key, value in values.items():
            converted[key] = _convert(value, getattr(defaults, key), f"{self.name}.{key}")
        settings = dataclasses.replace(defaults, **converted)
        validate = getattr(settings, "validate", None)
        if validate:
            validate()
        return settings

    @staticmethod
    def settings_dict(settings) -> dict:
        return dataclasses.asdict(settings)

    def result_settings(self, settings) -> dict:
        """The settings the results depend on (the cache key's part)."""
        return {k: v for k, v in self.settings_dict(settings).items() if k not in self.runtime_settings}

    def column_descriptions(self, settings) -> dict[str, str]:
        return {column.name: column.description for column in self.columns(settings)}


def _convert(value: Any, default: Any, name: str) -> Any:
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return lowered in ("true", "1", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, tuple)):
            return type(default)(_sequence_from_text(value, type(default[0]) if default else str))
    except (ValueError, TypeError, SyntaxError):
        kind = {bool: "true or false", int: "a whole number", float: "a number"}.get(type(default), type(default).__name__)
        raise AnalyzerError(f"Setting '{name}' must be {kind}, got '{value}'.") from None
    return value


def _sequence_from_text(text: str, item_type: type) -> list:
    """Items of a list setting typed as text: JSON "[...]", Python "(...)", or comma-separated values."""
    text = text.strip()
    if text.startswith("["):
        items = json.loads(text)
    elif text.startswith("(") and text.endswith(")"):
        items = ast.literal_eval(text)
        items = list(items) if isinstance(items, (list, tuple)) else [items]
    else:
        items = [part.strip() for part in text.split(",") if part.strip()]
    return [item_type(item) for item in items]
