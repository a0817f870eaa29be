"""Arena-style battles: prompt, response_a, response_b and a winner.

The winner is one column 'winner' (model_a / model_b / tie / tie (bothbad), or a / b) or the one-hot
columns winner_model_a / winner_model_b / winner_tie. Cells holding a JSON list of turns (as in the
public arena dumps) are joined turn by turn. Chatbot Arena conversation logs (conversation_a /
conversation_b message lists with 'winner') load too: the shared user turns become the prompt.
"""
from __future__ import annotations

import json

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, ab_pair_fields, parse_messages, register, require_text
from workbench.formats.trl import response_text
from workbench.schema import new_pair, render_messages

_WINNER_VALUES = {
    "model_a": "a", "a": "a", "model_b": "b", "b": "b",
    "tie": "tie", "tie (bothbad)": "tie", "both_bad": "tie", "bothbad": "tie",
}
_ONE_HOT = ("winner_model_a", "winner_model_b", "winner_tie")


def turns_text(value: str) -> tuple[str, int]:
    """A cell that may be a JSON list of strings: the turns joined, and how many there were."""
    stripped = value.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return value, 1
        if isinstance(parsed, list) and all(isinstance(turn, str) or turn is None for turn in parsed):
            return "\n\n".join(turn or "" for turn in parsed), len(parsed)
    return value, 1


def arena_winner(row: dict) -> str:
    if "winner" in row:
        raw = row["winner"]
        winner = _WINNER_VALUES.get(str(raw).strip().lower()) if raw is not None else None
        if winner is None:
            raise RowError(f"must be model_a, model_b or tie, got {raw!r}", "winner")
        return winner
    flags = []
    for column in _ONE_HOT:
        try:
            flags.append(int(float(row.get(column) or 0)))
        except (TypeError, ValueError):
            raise RowError(f"must be 0 or 1, got {row.get(column)!r}", column) from None
    if sum(flags) != 1:
        raise RowError("exactly one of winner_model_a, winner_model_b, winner_tie must be 1", "winner_model_a")
    return ("a", "b", "tie")[flags.index(1)]


@register
class ArenaAdapter(FormatAdapter):
    name = "arena"
    title = "Arena battles (prompt, response_a, response_b, winner)"
    description = (
        "Chatbot Arena style: prompt/response_a/response_b with winner (model_a, model_b, tie) or one-hot "
        "winner_model_a/winner_model_b/winner_tie; or conversation_a/conversation_b message lists with winner."
    )
    consumed_fields = ("prompt", "response_a", "response_b", "winner", "conversation_a", "conversation_b", *_ONE_HOT)
    priority = 5

    def sniff(self, rows: list[dict]) -> bool:
        def battle(row):
            has_winner = "winner" in row or set(_ONE_HOT) <= row.keys()
            texts = {"prompt", "response_a", "response_b"} <= row.keys() or {"conversation_a", "conversation_b"} <= row.keys()
            return has_winner and texts

        return all(battle(row) for row in rows)

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        winner = arena_winner(row)
        if "conversation_a" in row:
            return self._conversations(row, winner)
        prompt, turns = turns_text(require_text(row, "prompt"))
        text_a, _ = turns_text(require_text(row, "response_a"))
        text_b, _ = turns_text(require_text(row, "response_b"))
        pair = new_pair(prompt=prompt, **ab_pair_fields(text_a, text_b, winner))
        if turns > 1:
            pair["metadata"] = {"turns": turns}
        return pair

    def _conversations(self, row: dict, winner: str) -> dict:
        sides = {}
        for field in ("conversation_a", "conversation_b"):
            messages = parse_messages(row.get(field), field)
            if not messages:
                raise RowError("must be a non-empty list of {role, content} messages", field)
            sides[field] = messages
        conv_a, conv_b = sides["conversation_a"], sides["conversation_b"]
        user_turns_a = [m for m in conv_a if m["role"] == "user"]
        user_turns_b = [m for m in conv_b if m["role"] == "user"]
        if user_turns_a != user_turns_b:
            raise RowError("has different user turns than conversation_a", "conversation_b")
        # Single-turn logs: the user turn is the prompt. Multi-turn: the first user turn is the prompt and
        # the rest of each conversation is that side's response.
        prompt_messages = conv_a[:1] if conv_a[0]["role"] == "user" else []
        response_a, response_b = conv_a[len(prompt_messages):], conv_b[len(prompt_messages):]
        fields = ab_pair_fields(response_text(response_a), response_text(response_b), winner)
        chosen_messages, rejected_messages = (response_b, response_a) if fields["chosen_position"] == "b" else (response_a, response_b)
        return new_pair(
            prompt=render_messages(prompt_messages) if prompt_messages else "",
            prompt_messages=prompt_messages or None,
            chosen_messages=chosen_messages,
            rejected_messages=rejected_messages,
            **fields,
        )
