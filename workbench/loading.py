"""file -> format adapter -> canonical pairs. Detects the format, applies a column mapping, assigns
stable ids, enforces field limits and collects rejected rows. Writes nothing: the workspace stores
what this yields, in one transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from workbench.errors import FormatError, RowError
from workbench.formats import get_adapter, registry
from workbench.formats.base import FormatAdapter
from workbench.formats.containers import Record, Source, open_source
from workbench.schema import DEFAULT_MAX_FIELD_CHARS, LABEL_TIE, compact_original, content_hash, to_json

ID_FIELDS = ("id", "pair_id")
COMMON_FIELDS = (*ID_FIELDS, "source", "split")
SNIFF_ROWS = 20
SNIFF_MIN_SHARE = 0.5
CHUNK_ROWS = 50_000


@dataclass
class LoadOptions:
    format: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # canonical field -> column in the file
    on_error: str = "fail"  # "fail" | "skip"
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    source: str | None = None  # default source when rows have none (else the file name)
    columnar: bool = True  # let DuckDB load flat TRL Parquet files (same result, much faster)

    def __post_init__(self) -> None:
        if self.on_error not in ("fail", "skip"):
            raise FormatError(f"--on-error must be 'fail' or 'skip', got '{self.on_error}'.")
        if self.max_field_chars <= 0:
            raise FormatError("--max-field-chars must be a positive number.")


@dataclass
class LoadStats:
    loaded: int = 0
    rejected: int = 0
    ties: int = 0
    identical_responses: int = 0
    empty_responses: int = 0
    duplicate_content: int = 0
    multi_turn_responses: int = 0


@dataclass
class Rejected:
    location: str
    field: str | None
    reason: str
    row: object

    def as_json(self) -> str:
        return json.dumps({"location": self.location, "field": self.field, "reason": self.reason, "row": self.row},
                          ensure_ascii=False, default=str)


class PairReader:
    """Iterates canonical pair chunks from one source; ``stats`` and ``rejected`` fill as it goes."""

    def __init__(self, path: str, options: LoadOptions | None = None):
        self.options = options or LoadOptions()
        self.source: Source = open_source(path)
        self.inverse_map = {file_col: canonical for canonical, file_col in self.options.column_map.items()}
        self.adapter: FormatAdapter = self._choose_adapter()
        self.dataset_info = self.adapter.document_info(self.source.document) if self.source.document is not None else {}
        self.default_source = self.options.source or default_source_name(self.source.label)
        self.label = self.source.label
        self.adapter_name = self.adapter.name
        self.container = self.source.container
        self.stats = LoadStats()
        self.rejected: list[Rejected] = []
        self._seen_ids: dict[str, str] = {}
        self._hash_counts: dict[str, int] = {}

    # ------------------------------------------------------------ detection
    def _records(self) -> Iterator[Record]:
        if self.source.document is not None:
            for location, row, context in self.adapter.rows_from_document(self.source.document):
                yield Record(location, row, context)
        else:
            yield from self.source.records()

    def _mapped(self, row: dict) -> dict:
        if not self.inverse_map:
            return row
        return {self.inverse_map.get(key, key): value for key, value in row.items()}

    def _choose_adapter(self) -> FormatAdapter:
        adapters = registry()
        if self.options.format:
            adapter = get_adapter(self.options.format)
            if self.source.document is not None and not adapter.is_document_format:
                raise FormatError(f"'{self.source.label}' is one JSON object, which format '{adapter.name}' does not read; "
                                  "it needs a list of rows (JSON list, JSONL, CSV or Parquet).")
            return adapter
        if self.source.document is not None:
            matches = [a for a in adapters.values() if a.sniff_document(self.source.document)]
            if not matches:
                keys = list(self.source.document)[:8]
                raise FormatError(f"Could not detect the format of '{self.source.label}': a JSON object with keys {keys}; "
                                  f"pass --format (one of {', '.join(sorted(adapters))}).")
            return max(matches, key=lambda a: a.priority)
        sample = []
        for record in self.source.records():
            if record.row is not None:
                sample.append(self._mapped(record.row))
            if len(sample) >= SNIFF_ROWS:
                break
        if not sample:
            raise FormatError(f"'{self.source.label}' has no readable rows.")
        # Each adapter votes row by row, so a few malformed rows among the first ones do not hide the format.
        shares = {a.name: sum(a.sniff([row]) for row in sample) / len(sample) for a in adapters.values()}
        matches = [a for a in adapters.values() if shares[a.name] >= SNIFF_MIN_SHARE]
        if not matches:
            raise FormatError(
                f"Could not detect the format of '{self.source.label}': the first row has columns {list(sample[0])[:12]}; "
                f"pass --format (one of {', '.join(sorted(adapters))}) and --map FIELD=COLUMN for renamed columns."
            )
        return max(matches, key=lambda a: a.priority)

    # ------------------------------------------------------------ reading
    def chunks(self, chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None) -> Iterator[list[dict]]:
        chunk: list[dict] = []
        for row_index, record in enumerate(self._records()):
            try:
                if record.error is not None:
                    raise record.error
                chunk.append(self._pair(record, row_index))
            except RowError as error:
                located = error.at(f"{self.source.label}, {record.location}")
                if self.options.on_error == "fail":
                    raise located from None
                self.stats.rejected += 1
                self.rejected.append(Rejected(record.location, error.field, error.reason,
                                              record.row if record.row is not None else record.raw))
                continue
            if len(chunk) >= chunk_rows:
                self.stats.loaded += len(chunk)
                yield chunk
                chunk = []
                if progress:
                    progress(self.stats.loaded)
        if chunk:
            self.stats.loaded += len(chunk)
            yield chunk
            if progress:
                progress(self.stats.loaded)

    def _pair(self, record: Record, row_index: int) -> dict:
        row = self._mapped(record.row)
        pair = self.adapter.parse_row(row, record.context)
        limit = self.options.max_field_chars
        for text_field in ("prompt", "chosen", "rejected"):
            if len(pair[text_field]) > limit:
                raise RowError(f"is {len(pair[text_field]):,} characters, over the limit of {limit:,} (--max-field-chars)", text_field)
        # Empty values carry nothing but their key, and columnar files pad missing keys with them.
        metadata = {k: v for k, v in row.items() if k not in self.adapter.consumed_fields and k not in COMMON_FIELDS}
        metadata.update(pair["metadata"])
        pair["metadata"] = {k: v for k, v in metadata.items() if v is not None and v != ""}
        pair["source"] = pair["source"] or _text_or_none(row.get("source")) or self.default_source
        pair["split"] = pair["split"] or _text_or_none(row.get("split")) or record.context.get("split")
        pair["pair_id"] = self._assign_id(pair, row, record.location)
        pair["row_index"] = row_index
        pair["location"] = record.location
        pair["original"] = compact_original(record.row, pair)
        self._count(pair)
        return pair

    def _assign_id(self, pair: dict, row: dict, location: str) -> str:
        explicit = pair["pair_id"]
        if explicit is None:
            id_field = next((name for name in ID_FIELDS if row.get(name) not in (None, "")), None)
            explicit = str(row[id_field]) if id_field else None
        if explicit is not None:
            if explicit in self._seen_ids:
                raise RowError(f"duplicate id '{explicit}' (first used at {self._seen_ids[explicit]})", "id")
            self._seen_ids[explicit] = location
            return explicit
        digest = content_hash(pair["prompt"], pair["chosen"], pair["rejected"], pair["label"])
        occurrences = self._hash_counts.get(digest, 0) + 1
        self._hash_counts[digest] = occurrences
        if occurrences > 1:
            self.stats.duplicate_content += 1
            digest = f"{digest}-{occurrences}"
        if digest in self._seen_ids:
            raise RowError(f"content id '{digest}' equals the id of the row at {self._seen_ids[digest]}", "id")
        self._seen_ids[digest] = location
        return digest

    def _count(self, pair: dict) -> None:
        stats = self.stats
        if pair["label"] == LABEL_TIE:
            stats.ties += 1
        if pair["chosen"] == pair["rejected"]:
            stats.identical_responses += 1
        if not pair["chosen"].strip() or not pair["rejected"].strip():
            stats.empty_responses += 1
        if pair["metadata"].get("hh_multi_turn_response"):
            stats.multi_turn_responses += 1


def to_columns(chunk: list[dict]) -> dict[str, list]:
    """Column lists ready for the pairs table (JSON columns serialized)."""
    from workbench.schema import JSON_COLUMNS, PAIR_COLUMN_NAMES

    columns = {}
    for name in PAIR_COLUMN_NAMES:
        if name == "dataset_id":
            continue
        if name in JSON_COLUMNS:
            columns[name] = [to_json(pair[name]) if pair[name] is not None else None for pair in chunk]
        else:
            columns[name] = [pair[name] for pair in chunk]
    return columns


def default_source_name(path_or_label: str) -> str:
    """The file name without its extensions: the source of rows that name none."""
    name = Path(path_or_label.rstrip("/")).name
    for suffix in (".gz", ".jsonl", ".json", ".csv", ".parquet", ".ndjson"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _text_or_none(value) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def file_fingerprint(path: str) -> str:
    """blake2b of the file's bytes (or of a folder's files), to recognise a file loaded before."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    target = Path(path)
    files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target] if target.exists() else []
    if not files:
        digest.update(path.encode())
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
