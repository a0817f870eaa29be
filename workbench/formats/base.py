"""The adapter contract: one class per input format, registered by name.

An adapter turns one input record (a dict) into the fields of a canonical pair (see
``workbench.schema.new_pair``) or raises ``RowError`` naming the field. Formats whose files are one
JSON document rather than a list of rows (EvalBiasBench, AnnotatedPairs) also unwrap and rebuild that
document. Detection lives next to each adapter in ``sniff``.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Iterator

from workbench.errors import RowError
from workbench.schema import LABEL_PREFERRED, LABEL_TIE


class FormatAdapter(ABC):
    name: str = ""
    title: str = ""
    description: str = ""
    # Fields the adapter reads from a row; the rest of the row becomes metadata.
    consumed_fields: tuple[str, ...] = ()
    # Higher wins when several adapters accept the same rows (more specific formats score higher).
    priority: int = 0

    @abstractmethod
    def sniff(self, rows: list[dict]) -> bool:
        """True when these first rows of a file look like this format."""

    @abstractmethod
    def parse_row(self, row: dict, context: dict | None = None) -> dict:
        """Canonical pair fields for one row; raises RowError for a malformed row."""

    # Document formats override these three.
    def sniff_document(self, document: dict) -> bool:
        return False

    def rows_from_document(self, document: dict) -> Iterator[tuple[str, dict]]:
        """(location, row) for every record of a JSON document in this format."""
        raise NotImplementedError

    def build_document(self, pairs: list[dict], dataset_info: dict) -> Any:
        """Rebuild a document from canonical pairs (with their originals); only for document formats."""
        raise NotImplementedError

    is_document_format: bool = False

    def document_info(self, document: dict) -> dict:
        """File-level information kept with the dataset so that a document export can rebuild it."""
        return {}

    def metadata_of(self, row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in self.consumed_fields}


def first_present(row: dict, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that is a key of ``row``."""
    for name in names:
        if name in row:
            return name
    return None


def require_text(row: dict, field: str, *, allow_empty: bool = True) -> str:
    """The string value of a required text field, or a RowError naming the field."""
    if field not in row or row[field] is None:
        raise RowError("is missing", field)
    value = row[field]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RowError(f"must be text, got {type(value).__name__}", field)
    if not allow_empty and not value.strip():
        raise RowError("is empty", field)
    return value


def optional_text(row: dict, field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def parse_messages(value: Any, field: str) -> list[dict] | None:
    """A list of {role, content} messages, or None when ``value`` is plain text.

    Message lists may also arrive JSON-encoded in a string (CSV cells); a string is only taken as
    messages when it parses to such a list.
    """
    if isinstance(value, str):
        stripped = value.lstrip()
        if not stripped.startswith("[{"):
            return None
        try:
            value = json.loads(stripped)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    for index, message in enumerate(value):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise RowError(f"message {index} is not an object with 'role' and 'content'", field)
        if not isinstance(message["content"], str):
            raise RowError(f"message {index} has non-text content", field)
    return [{"role": str(m["role"]), "content": m["content"]} for m in value]


def ab_label(winner: str) -> tuple[str, str | None]:
    """(label, chosen_position) from a normalized winner 'a' | 'b' | 'tie'."""
    if winner == "tie":
        return LABEL_TIE, None
    return LABEL_PREFERRED, winner


def ab_pair_fields(text_a: str, text_b: str, winner: str) -> dict:
    """chosen/rejected/label/chosen_position for A/B data; ties keep A as chosen."""
    label, position = ab_label(winner)
    if position == "b":
        return {"chosen": text_b, "rejected": text_a, "label": label, "chosen_position": "b"}
    return {"chosen": text_a, "rejected": text_b, "label": label, "chosen_position": position}


_REGISTRY: dict[str, FormatAdapter] = {}


def register(adapter_class: type[FormatAdapter]) -> type[FormatAdapter]:
    adapter = adapter_class()
    if adapter.name in _REGISTRY:
        raise ValueError(f"format {adapter.name!r} registered twice")
    _REGISTRY[adapter.name] = adapter
    return adapter_class


def registry() -> dict[str, FormatAdapter]:
    # Importing the package registers every built-in adapter.
    import workbench.formats  # noqa: F401

    return dict(_REGISTRY)


def get_adapter(name: str) -> FormatAdapter:
    adapters = registry()
    if name not in adapters:
        raise_unknown_format(name, adapters)
    return adapters[name]


def raise_unknown_format(name: str, adapters: dict[str, FormatAdapter]) -> None:
    from workbench.errors import FormatError

    raise FormatError(f"Unknown format '{name}'; choose one of: {', '.join(sorted(adapters))}.")


__all__ = [
    "FormatAdapter",
    "LABEL_PREFERRED",
    "LABEL_TIE",
    "ab_pair_fields",
    "first_present",
    "get_adapter",
    "optional_text",
    "parse_messages",
    "register",
    "registry",
    "require_text",
]
