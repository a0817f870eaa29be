"""OffsetBias EvalBiasBench: a JSON object keyed by bias category, each a list of
{bias, instruction, response1, response2, label (1 or 2)}. Plain rows with those keys load too."""
from __future__ import annotations

from typing import Iterator

from workbench.errors import RowError
from workbench.formats.base import FormatAdapter, ab_pair_fields, register, require_text
from workbench.schema import new_pair

_KEYS = {"instruction", "response1", "response2", "label"}
UNCATEGORIZED = "uncategorized"


@register
class EvalBiasBenchAdapter(FormatAdapter):
    name = "evalbiasbench"
    title = "OffsetBias EvalBiasBench"
    description = "{category: [{instruction, response1, response2, label: 1 | 2}]}; the category is kept as metadata."
    consumed_fields = ("instruction", "response1", "response2", "label")
    priority = 5
    is_document_format = True

    def sniff(self, rows: list[dict]) -> bool:
        return all(_KEYS <= row.keys() for row in rows)

    def sniff_document(self, document) -> bool:
        return (
            isinstance(document, dict)
            and bool(document)
            and all(isinstance(rows, list) and rows and isinstance(rows[0], dict) and _KEYS <= rows[0].keys()
                    for rows in document.values())
        )

    def rows_from_document(self, document: dict) -> Iterator[tuple[str, dict, dict]]:
        for category, rows in document.items():
            for index, row in enumerate(rows):
                yield f"[{category!r}][{index}]", row, {"category": category}

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        raw = row.get("label")
        try:
            label = int(raw)
        except (TypeError, ValueError):
            label = None
        if label not in (1, 2) or (isinstance(raw, float) and raw not in (1.0, 2.0)):
            raise RowError(f"must be 1 or 2, got {raw!r}", "label")
        pair = new_pair(
            prompt=require_text(row, "instruction"),
            **ab_pair_fields(require_text(row, "response1"), require_text(row, "response2"), "a" if label == 1 else "b"),
        )
        if context and "category" in context:
            pair["metadata"] = {"category": context["category"]}
        return pair

    def build_document(self, pairs: list[dict], dataset_info: dict) -> dict:
        document: dict[str, list] = {}
        for pair in pairs:
            category = (pair.get("metadata") or {}).get("category", UNCATEGORIZED)
            document.setdefault(category, []).append(pair["original"])
        return document
