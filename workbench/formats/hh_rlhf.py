"""Anthropic HH-RLHF transcripts: {"chosen": "\\n\\nHuman: ...\\n\\nAssistant: ...", "rejected": ...}.

The two transcripts share every turn but the last assistant reply (implicit prompt). The prompt is the
longest run of shared turns ending in a Human turn; each response is the rest of its transcript after the
following "Assistant:" marker. A handful of real rows carry a stray "Human:" without the blank line, so a
response can hold more than one turn: those rows load with metadata ``hh_multi_turn_response = true``.
"""
from __future__ import annotations

import re

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, register, require_text
from workbench.schema import new_pair, render_messages

_TURN = re.compile(r"\n\n(Human|Assistant):")
_ROLE = {"Human": "user", "Assistant": "assistant"}


def split_turns(transcript: str) -> list[tuple[str, str, int]]:
    """(role, text, start offset of the marker) per turn."""
    markers = list(_TURN.finditer(transcript))
    turns = []
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(transcript)
        text = transcript[marker.end():end]
        turns.append((marker.group(1), text[1:] if text.startswith(" ") else text, marker.start()))
    return turns


def looks_like_transcript(value) -> bool:
    return isinstance(value, str) and value.lstrip("\n").startswith("Human:") and "\n\nAssistant:" in value


@register
class HHRLHFAdapter(FormatAdapter):
    name = "hh-rlhf"
    title = "Anthropic HH-RLHF transcripts"
    description = "'chosen' and 'rejected' are whole \\n\\nHuman: / \\n\\nAssistant: transcripts sharing all but the last reply."
    consumed_fields = ("chosen", "rejected")
    priority = 10

    def sniff(self, rows: list[dict]) -> bool:
        return all(
            "prompt" not in row and looks_like_transcript(row.get("chosen")) and looks_like_transcript(row.get("rejected"))
            for row in rows
        )

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        chosen_text = require_text(row, "chosen")
        rejected_text = require_text(row, "rejected")
        for field, text in (("chosen", chosen_text), ("rejected", rejected_text)):
            if not looks_like_transcript(text):
                raise RowError("is not an HH-RLHF transcript ('\\n\\nHuman: ... \\n\\nAssistant: ...')", field)
        chosen_text_norm = "\n\n" + chosen_text.lstrip("\n")
        rejected_text_norm = "\n\n" + rejected_text.lstrip("\n")
        chosen_turns = split_turns(chosen_text_norm)
        rejected_turns = split_turns(rejected_text_norm)
        shared = 0
        for a, b in zip(chosen_turns, rejected_turns):
            if a[:2] != b[:2]:
                break
            shared += 1
        shared = min(shared, len(chosen_turns) - 1, len(rejected_turns) - 1)
        # The prompt ends with a Human turn; the responses start with an Assistant turn.
        while shared > 0 and not (chosen_turns[shared - 1][0] == "Human" and chosen_turns[shared][0] == "Assistant"
                                  and rejected_turns[shared][0] == "Assistant"):
            shared -= 1
        if shared == 0:
            raise RowError("shares no opening Human turn with 'chosen' followed by an Assistant reply", "rejected")
        prompt_messages = [{"role": _ROLE[role], "content": text} for role, text, _ in chosen_turns[:shared]]
        chosen, chosen_multi = self._response(chosen_text_norm, chosen_turns, shared)
        rejected, rejected_multi = self._response(rejected_text_norm, rejected_turns, shared)
        pair = new_pair(
            prompt=render_messages(prompt_messages),
            chosen=chosen,
            rejected=rejected,
            prompt_messages=prompt_messages,
            chosen_messages=[{"role": "assistant", "content": chosen}],
            rejected_messages=[{"role": "assistant", "content": rejected}],
        )
        if chosen_multi or rejected_multi:
            pair["metadata"] = {"hh_multi_turn_response": True}
        return pair

    @staticmethod
    def _response(transcript: str, turns, first: int) -> tuple[str, bool]:
        marker_start = turns[first][2]
        body = transcript[marker_start + len("\n\nAssistant:"):]
        return (body[1:] if body.startswith(" ") else body), len(turns) - first > 1
