"""The canonical pair record: one row per preference pair, whatever the input format.

A pair is (prompt, chosen, rejected). For A/B data the chosen side is the preferred one and
``chosen_position`` says whether it was shown as A or B; a tie keeps A as ``chosen`` and B as
``rejected`` with ``label = "tie"``. Everything else in the input row lands in ``metadata``, and the
untouched input row in ``original`` so that an export can reproduce it exactly.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

LABEL_PREFERRED = "preferred"
LABEL_TIE = "tie"
LABELS = (LABEL_PREFERRED, LABEL_TIE)

# Column name -> (DuckDB type, one-line definition shown in the UI).
PAIR_COLUMNS: dict[str, tuple[str, str]] = {
    "pair_id": ("VARCHAR", "Stable id: the file's own id, else a content hash of prompt, chosen, rejected and label."),
    "dataset_id": ("INTEGER", "Which loaded file the pair came from (see the datasets table)."),
    "row_index": ("BIGINT", "0-based position of the record in its file, for stable ordering."),
    "location": ("VARCHAR", "Where the record sits in its file (line, row or key)."),
    "prompt": ("VARCHAR", "The prompt as text (conversations rendered turn by turn)."),
    "chosen": ("VARCHAR", "The preferred response (side A for ties)."),
    "rejected": ("VARCHAR", "The other response (side B for ties)."),
    "label": ("VARCHAR", "'preferred' when one side won, 'tie' when neither did."),
    "chosen_position": ("VARCHAR", "'a' or 'b' when the input recorded positions, else empty."),
    "source": ("VARCHAR", "Source of the pair (the row's source column, else the file name)."),
    "split": ("VARCHAR", "Split of the pair (the row's split column, else the file's split, if any)."),
    "prompt_messages": ("JSON", "The prompt as chat messages, when the input was conversational."),
    "chosen_messages": ("JSON", "The chosen response as chat messages, when conversational."),
    "rejected_messages": ("JSON", "The rejected response as chat messages, when conversational."),
    "metadata": ("JSON", "Every other column of the input row (models, annotators, scores...)."),
    "original": ("JSON", "The input row as read (texts equal to the pair's own are stored once), for exports in the input's own format."),
}
PAIR_COLUMN_NAMES = tuple(PAIR_COLUMNS)
TEXT_COLUMNS = ("prompt", "chosen", "rejected")
JSON_COLUMNS = ("prompt_messages", "chosen_messages", "rejected_messages", "metadata", "original")

DEFAULT_MAX_FIELD_CHARS = 1_000_000


def content_hash(prompt: str, chosen: str, rejected: str, label: str) -> str:
    """16 hex chars identifying a pair by its content (used when the file has no id).

    md5 over the four fields, each followed by the unit separator, so that DuckDB computes the same id
    in the vectorized load path.
    """
    text = "".join(part + "\x1f" for part in (prompt, chosen, rejected, label))
    return hashlib.md5(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# In a stored original row, a text field equal to the pair's own field is kept once, in the pair column,
# and the original holds this placeholder in its place (same key, same position).
PAIR_FIELD_PLACEHOLDER = "$pair_field"


def compact_original(row: dict, pair: dict) -> dict:
    """The original row with prompt/chosen/rejected values that equal the pair's replaced by placeholders."""
    compact = None
    for name in TEXT_COLUMNS:
        value = row.get(name)
        if isinstance(value, str) and value == pair[name]:
            if compact is None:
                compact = dict(row)
            compact[name] = {PAIR_FIELD_PLACEHOLDER: name}
    return row if compact is None else compact


def restore_original(original: dict | None, pair: dict) -> dict | None:
    """The original row exactly as read, placeholders filled from the pair's fields."""
    if original is None:
        return None
    return {key: pair[value[PAIR_FIELD_PLACEHOLDER]]
            if isinstance(value, dict) and len(value) == 1 and PAIR_FIELD_PLACEHOLDER in value else value
            for key, value in original.items()}


def to_json(value: Any) -> str | None:
    """JSON text for a JSON column; None stays SQL NULL. Keys keep their order."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


def render_messages(messages: list[dict]) -> str:
    """Plain-text view of chat messages: a lone user turn is its content, else 'Role: content' blocks."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return str(messages[0].get("content", ""))
    return "\n\n".join(f"{str(m.get('role', '')).capitalize()}: {m.get('content', '')}" for m in messages)


def new_pair(
    *,
    prompt: str,
    chosen: str,
    rejected: str,
    label: str = LABEL_PREFERRED,
    pair_id: str | None = None,
    chosen_position: str | None = None,
    source: str | None = None,
    split: str | None = None,
    prompt_messages: list | None = None,
    chosen_messages: list | None = None,
    rejected_messages: list | None = None,
    metadata: dict | None = None,
) -> dict:
    """The fields an adapter fills for one pair; the loader adds ids, locations and the original row."""
    return {
        "pair_id": pair_id,
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
        "label": label,
        "chosen_position": chosen_position,
        "source": source,
        "split": split,
        "prompt_messages": prompt_messages,
        "chosen_messages": chosen_messages,
        "rejected_messages": rejected_messages,
        "metadata": metadata or {},
    }
