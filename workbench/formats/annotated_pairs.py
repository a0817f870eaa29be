"""Feedback Forensics "AnnotatedPairs" JSON (format 2.0; 1.0 files read too).

{"metadata": {"version": "2.0", "dataset_name", "default_annotator", ...},
 "annotators": {id: {"name", "description", "type"}},   # id = first 8 hex of md5(description)
 "comparisons": [{"id", "prompt", "response_a": {"text", "model"}, "response_b": {...},
                  "annotations": {annotator_id: {"pref": "a" | "b" | null, "no_pref_reason": ...}},
                  "metadata": {...}}]}
The default annotator's preference is the pair's label; the other annotators' annotations are kept in
the pair's metadata under 'annotations' so that an export writes them all back. Comparison metadata
'source', 'split' and the '*_messages' conversations written by our export become the pair's own fields.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Iterator

from workbench.errors import FormatError, RowError
from workbench.formats.base import FormatAdapter, register
from workbench.schema import LABEL_TIE, new_pair

FORMAT_VERSION = "2.0"
REFERENCE_ANNOTATOR_DESCRIPTION = "Reference preference label of the dataset (exported by Preference Workbench)"
_PREF = {"a": "a", "text_a": "a", "b": "b", "text_b": "b"}
# Comparison metadata flag for pairs whose input never recorded which side was shown as A.
POSITION_UNKNOWN_KEY = "position_unrecorded"


def _reference_annotation(pair: dict, no_pref_reason: str) -> dict:
    if pair["label"] == LABEL_TIE:
        return {"pref": None, "no_pref_reason": no_pref_reason}
    return {"pref": "b" if pair["chosen_position"] == "b" else "a"}


def annotator_id(description: str) -> str:
    return hashlib.md5(description.encode("utf-8")).hexdigest()[:8]


def _side(comparison: dict, side: str) -> tuple[str, str | None]:
    value = comparison.get(f"response_{side}")
    if isinstance(value, dict):
        text = value.get("text")
        model = value.get("model")
    else:  # format 1.0: text_a / text_b strings
        text = value if value is not None else comparison.get(f"text_{side}")
        model = comparison.get(f"model_{side}")
    if not isinstance(text, str):
        raise RowError("is missing or has no text", f"response_{side}")
    return text, model


@register
class AnnotatedPairsAdapter(FormatAdapter):
    name = "annotated-pairs"
    title = "Feedback Forensics AnnotatedPairs JSON"
    description = "AnnotatedPairs 2.0: comparisons with response_a/response_b and annotations from every annotator."
    consumed_fields = ("id", "prompt", "response_a", "response_b", "text_a", "text_b", "annotations", "metadata")
    priority = 20
    is_document_format = True

    def sniff(self, rows: list[dict]) -> bool:
        return False  # only ever a whole document

    def sniff_document(self, document) -> bool:
        return isinstance(document, dict) and isinstance(document.get("comparisons"), list) and "annotators" in document

    def document_info(self, document: dict) -> dict:
        metadata = document.get("metadata") or {}
        default = metadata.get("default_annotator")
        if default is None:
            raise FormatError("AnnotatedPairs file has no metadata.default_annotator, so no reference label can be read")
        return {"metadata": metadata, "annotators": document.get("annotators") or {}}

    def rows_from_document(self, document: dict) -> Iterator[tuple[str, dict, dict]]:
        default = self.document_info(document)["metadata"]["default_annotator"]
        for index, comparison in enumerate(document["comparisons"]):
            yield f"comparisons[{index}]", comparison, {"default_annotator": default}

    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        default = (context or {}).get("default_annotator")
        text_a, model_a = _side(row, "a")
        text_b, model_b = _side(row, "b")
        annotations = row.get("annotations") or {}
        if default not in annotations:
            raise RowError(f"has no annotation from the default annotator {default!r}", "annotations")
        pref = annotations[default].get("pref")
        winner = _PREF.get(str(pref).lower()) if pref is not None else "tie"
        if winner is None:
            raise RowError(f"default annotator's pref must be 'a', 'b' or null, got {pref!r}", "annotations")
        prompt = row.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise RowError("must be text or null", "prompt")
        if winner == "b":
            chosen, rejected, position = text_b, text_a, "b"
        else:
            chosen, rejected, position = text_a, text_b, None if winner == "tie" else "a"
        metadata = dict(row.get("metadata") or {})
        if metadata.pop(POSITION_UNKNOWN_KEY, False):
            position = None  # written by us for data whose A/B positions were never recorded
        source, split = metadata.pop("source", None), metadata.pop("split", None)
        prompt_messages = metadata.pop("prompt_messages", None)
        messages_a, messages_b = metadata.pop("response_a_messages", None), metadata.pop("response_b_messages", None)
        if winner == "b":
            messages_a, messages_b = messages_b, messages_a
        metadata.update({"model_a": model_a, "model_b": model_b})
        others = {key: value for key, value in annotations.items() if key != default}
        if others:
            metadata["annotations"] = others
        reason = annotations[default].get("no_pref_reason")
        if winner == "tie" and reason not in (None, "both"):
            metadata["no_pref_reason"] = reason
        pair = new_pair(prompt=prompt or "", chosen=chosen, rejected=rejected, chosen_position=position,
                        label=LABEL_TIE if winner == "tie" else "preferred", metadata=metadata,
                        source=source, split=split, prompt_messages=prompt_messages,
                        chosen_messages=messages_a, rejected_messages=messages_b)
        if row.get("id") is not None:
            pair["pair_id"] = str(row["id"])
        return pair

    def build_document(self, pairs: list[dict], dataset_info: dict) -> dict:
        """An AnnotatedPairs document from canonical pairs, keeping every stored annotator."""
        info = dataset_info if dataset_info.get("annotators") else {}
        annotators = dict(info.get("annotators") or {})
        metadata = dict(info.get("metadata") or {})
        default = metadata.get("default_annotator")
        if default is None:
            default = annotator_id(REFERENCE_ANNOTATOR_DESCRIPTION)
            annotators[default] = {"name": "label", "description": REFERENCE_ANNOTATOR_DESCRIPTION, "type": "unknown"}
        metadata.update({"version": FORMAT_VERSION, "default_annotator": default})
        metadata.setdefault("dataset_name", dataset_info.get("name", "preference-workbench export"))
        metadata.setdefault("created_at", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        comparisons = []
        metadata_keys: dict[str, None] = {}
        for pair in pairs:
            extra = dict(pair.get("metadata") or {})
            model_a, model_b = extra.pop("model_a", None), extra.pop("model_b", None)
            annotations = {default: _reference_annotation(pair, extra.pop("no_pref_reason", "both"))}
            annotations.update(extra.pop("annotations", None) or {})
            b_won = pair["chosen_position"] == "b"
            text_a, text_b = (pair["rejected"], pair["chosen"]) if b_won else (pair["chosen"], pair["rejected"])
            if pair["chosen_position"] is None and pair["label"] != LABEL_TIE:
                extra[POSITION_UNKNOWN_KEY] = True
            messages_a, messages_b = pair.get("chosen_messages"), pair.get("rejected_messages")
            if b_won:
                messages_a, messages_b = messages_b, messages_a
            # Conversations ride along in the comparison metadata, so nothing is lost on the way back.
            for key, value in (("source", pair.get("source")), ("split", pair.get("split")),
                               ("prompt_messages", pair.get("prompt_messages")),
                               ("response_a_messages", messages_a), ("response_b_messages", messages_b)):
                if value is not None:
                    extra[key] = value
            for key in extra:
                metadata_keys[key] = None
            comparisons.append({
                "id": pair["pair_id"],
                "prompt": pair["prompt"],
                "response_a": {"text": text_a, "model": model_a},
                "response_b": {"text": text_b, "model": model_b},
                "annotations": annotations,
                "metadata": extra,
            })
        metadata["available_metadata_keys_per_comparison"] = list(metadata_keys)
        return {"metadata": metadata, "annotators": annotators, "comparisons": comparisons}
