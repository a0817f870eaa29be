"""TRL preference rows: standard (strings) or conversational (message lists), explicit or implicit prompt.

Explicit prompt: {"prompt", "chosen", "rejected"}. Implicit prompt: only "chosen" and "rejected", each a
whole conversation (or string) sharing everything but the final reply; the shared part becomes the prompt.
A row with ``"tie": true`` is a tie (chosen = side A, rejected = side B); TRL itself has no ties.
"""
from __future__ import annotations

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, parse_messages, register, require_text
from workbench.schema import LABEL_PREFERRED, LABEL_TIE, new_pair, render_messages

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def parse_flag(value, field: str) -> bool:
    """A boolean that may arrive as bool, 0/1 or text (CSV cells)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"must be true or false, got {value!r}", field)


def common_message_prefix(first: list[dict], second: list[dict]) -> int:
    shared = 0
    for a, b in zip(first, second):
        if a != b:
            break
        shared += 1
    # Both sides must keep at least one message of their own.
    return min(shared, len(first) - 1, len(second) - 1)


def split_implicit_text(chosen: str, rejected: str) -> int:
    """Where the shared prompt ends in two strings: the last whitespace inside their common prefix."""
    limit = min(len(chosen), len(rejected))
    shared = 0
    while shared < limit and chosen[shared] == rejected[shared]:
        shared += 1
    if shared == len(chosen) and shared == len(rejected):
        return 0  # identical strings: no prompt can be split off
    cut = max(chosen.rfind(" ", 0, shared), chosen.rfind("\n", 0, shared))
    return cut + 1 if cut >= 0 else 0


def response_text(messages: list[dict]) -> str:
    if len(messages) == 1:
        return messages[0]["content"]
    return render_messages(messages)


@register
class TRLPreferenceAdapter(FormatAdapter):
    name = "trl"
    title = "TRL preference (standard or conversational)"
    description = (
        "Rows with 'chosen' and 'rejected' (strings or lists of {role, content} messages) and an optional "
        "'prompt'; without a prompt, the shared beginning of chosen and rejected is split off as the prompt. "
        "'tie': true marks a tie; 'chosen_position' (a or b) records which side the chosen response was shown on."
    )
    consumed_fields = ("prompt", "chosen", "rejected", "tie", "chosen_position")
    priority = 0

    def sniff(self, rows: list[dict]) -> bool:
        return all("chosen" in row and "rejected" in row for row in rows)

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        for field in ("chosen", "rejected"):
            if field not in row or row[field] is None:
                raise RowError("is missing", field)
        label = LABEL_TIE if parse_flag(row.get("tie"), "tie") else LABEL_PREFERRED
        chosen_messages = parse_messages(row["chosen"], "chosen")
        rejected_messages = parse_messages(row["rejected"], "rejected")
        if (chosen_messages is None) != (rejected_messages is None):
            conversational = "chosen" if chosen_messages is not None else "rejected"
            raise RowError("is a list of messages but the other side is plain text", conversational)
        has_prompt = row.get("prompt") is not None
        if chosen_messages is not None:
            pair = self._conversational(row, chosen_messages, rejected_messages, has_prompt, label)
        else:
            pair = self._standard(row, has_prompt, label)
        position = row.get("chosen_position")
        if position not in (None, "", "a", "b"):
            raise RowError(f"must be 'a' or 'b', got {position!r}", "chosen_position")
        pair["chosen_position"] = position or None
        return pair

    def _standard(self, row: dict, has_prompt: bool, label: str) -> dict:
        chosen = require_text(row, "chosen")
        rejected = require_text(row, "rejected")
        if has_prompt:
            prompt = require_text(row, "prompt")
        else:
            cut = split_implicit_text(chosen, rejected)
            prompt, chosen, rejected = chosen[:cut], chosen[cut:], rejected[cut:]
        return new_pair(prompt=prompt, chosen=chosen, rejected=rejected, label=label)

    def _conversational(self, row, chosen_messages, rejected_messages, has_prompt, label) -> dict:
        if not chosen_messages or not rejected_messages:
            raise RowError("has no messages", "chosen" if not chosen_messages else "rejected")
        if has_prompt:
            prompt_messages = parse_messages(row["prompt"], "prompt")
            if prompt_messages is None:
                prompt_messages = [{"role": "user", "content": require_text(row, "prompt")}]
        else:
            shared = common_message_prefix(chosen_messages, rejected_messages)
            prompt_messages = chosen_messages[:shared]
            chosen_messages, rejected_messages = chosen_messages[shared:], rejected_messages[shared:]
        return new_pair(
            prompt=render_messages(prompt_messages) if prompt_messages else "",
            chosen=response_text(chosen_messages),
            rejected=response_text(rejected_messages),
            label=label,
            prompt_messages=prompt_messages or None,
            chosen_messages=chosen_messages,
            rejected_messages=rejected_messages,
        )
