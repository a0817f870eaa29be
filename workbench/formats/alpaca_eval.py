"""AlpacaEval annotations: instruction, output_1, output_2, preference (1 = output_1, 2 = output_2,
1.5 = tie; fractional values between 1 and 2 pick the nearer side and are kept as 'preference_raw').
'input' is appended to the instruction when present; generator_1/generator_2 stay as metadata."""
from __future__ import annotations

import math

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, ab_pair_fields, register, require_text
from workbench.schema import new_pair


def winner_from_preference(raw) -> str:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise RowError(f"must be a number between 1 and 2 (1.5 = tie), got {raw!r}", "preference") from None
    if math.isnan(value) or not 1.0 <= value <= 2.0:
        raise RowError(f"must be a number between 1 and 2 (1.5 = tie), got {raw!r}", "preference")
    if value == 1.5:
        return "tie"
    return "a" if value < 1.5 else "b"


@register
class AlpacaEvalAdapter(FormatAdapter):
    name = "alpaca-eval"
    title = "AlpacaEval annotations"
    description = "instruction, output_1, output_2, preference in {1, 2, 1.5 = tie}; generator_1/2 kept as metadata."
    consumed_fields = ("instruction", "input", "output_1", "output_2", "preference")
    priority = 5

    def sniff(self, rows: list[dict]) -> bool:
        return all({"instruction", "output_1", "output_2", "preference"} <= row.keys() for row in rows)

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        instruction = require_text(row, "instruction")
        extra_input = row.get("input")
        prompt = f"{instruction}\n\n{extra_input}" if isinstance(extra_input, str) and extra_input.strip() else instruction
        winner = winner_from_preference(row.get("preference"))
        pair = new_pair(prompt=prompt, **ab_pair_fields(require_text(row, "output_1"), require_text(row, "output_2"), winner))
        raw = float(row["preference"])
        if raw not in (1.0, 1.5, 2.0):
            pair["metadata"] = {"preference_raw": raw}
        return pair
