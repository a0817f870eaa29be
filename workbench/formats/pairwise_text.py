"""A/B text pairs with the preferred side named: text_a, text_b, preferred_text (Inverse Constitutional AI
and Feedback Forensics CSVs). An optional 'prompt' (or 'input') column holds the prompt."""
from __future__ import annotations

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, ab_pair_fields, first_present, register, require_text
from workbench.schema import new_pair

_WINNERS = {"text_a": "a", "a": "a", "text_b": "b", "b": "b", "tie": "tie", "both": "tie", "neither": "tie", "equal": "tie"}


@register
class PairwiseTextAdapter(FormatAdapter):
    name = "pairwise-text"
    title = "A/B pairs: text_a, text_b, preferred_text"
    description = "ICAI / Feedback Forensics CSV: 'preferred_text' is text_a or text_b (or tie); optional 'prompt'/'input'."
    consumed_fields = ("text_a", "text_b", "preferred_text", "prompt", "input")
    priority = 5

    def sniff(self, rows: list[dict]) -> bool:
        return all({"text_a", "text_b", "preferred_text"} <= row.keys() for row in rows)

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        text_a = require_text(row, "text_a")
        text_b = require_text(row, "text_b")
        raw = row.get("preferred_text")
        winner = _WINNERS.get(str(raw).strip().lower()) if raw is not None else None
        if winner is None:
            raise RowError(f"must be 'text_a', 'text_b' or 'tie', got {raw!r}", "preferred_text")
        prompt_field = first_present(row, ("prompt", "input"))
        prompt = require_text(row, prompt_field) if prompt_field and row[prompt_field] is not None else ""
        return new_pair(prompt=prompt, **ab_pair_fields(text_a, text_b, winner))
