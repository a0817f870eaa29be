"""Reading and writing the containers a dataset arrives in: .jsonl(.gz), .json, .csv, .parquet,
Hugging Face ``save_to_disk`` folders and hub dataset ids. Format-agnostic: records are plain dicts.

Reading never raises on one bad record: it yields a ``Record`` carrying the error, so that the loader
can fail with the record's location or skip it into the rejects file.
"""
from __future__ import annotations

import csv
import gzip
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from workbench.errors import FormatError, RowError

ROW_CONTAINERS = ("jsonl", "json", "csv", "parquet")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class Record:
    """One input record: its location in the file, the row (or None) and the error that stopped it."""

    location: str
    row: dict | None
    context: dict = field(default_factory=dict)
    error: RowError | None = None
    raw: Any = None  # what to write to the rejects file when the row could not even be parsed


@dataclass
class Source:
    """An opened dataset: either rows (an iterator factory) or one JSON document."""

    path: str
    label: str  # file name used in messages
    container: str
    document: Any = None
    _rows: Any = None

    def records(self) -> Iterator[Record]:
        return self._rows()


def container_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    if lower.endswith((".json", ".json.gz")):
        return "json"
    if lower.endswith((".csv", ".csv.gz")):
        return "csv"
    if lower.endswith(".parquet"):
        return "parquet"
    raise FormatError(
        f"Cannot tell the container of '{path}' from its extension; use .jsonl, .jsonl.gz, .json, .csv or .parquet."
    )


def _open_text(path: str, errors: str = "strict"):
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors=errors, newline="")
    return open(path, encoding="utf-8", errors=errors, newline="")


def _open_binary(path: str):
    return gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def open_source(path: str) -> Source:
    """Open a file, a save_to_disk folder or (online) a hub dataset id."""
    target = Path(path)
    if target.is_dir():
        return _hf_disk_source(target)
    if not target.exists():
        if _HUB_ID.match(path) and not path.lower().endswith((".json", ".jsonl", ".csv", ".parquet", ".gz")):
            return _hub_source(path)
        raise FormatError(f"File not found: '{path}'.")
    container = container_of(path)
    label = target.name
    if container == "jsonl":
        return Source(path, label, container, _rows=lambda: _jsonl_records(path, label))
    if container == "csv":
        return Source(path, label, container, _rows=lambda: _csv_records(path))
    if container == "parquet":
        return Source(path, label, container, _rows=lambda: _parquet_records(path))
    return _json_source(path, label)


def _jsonl_records(path: str, label: str) -> Iterator[Record]:
    with _open_binary(path) as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            location = f"line {line_number}"
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Record(location, None, error=RowError(f"is not valid UTF-8 (byte {raw_line[error.start]:#04x} at column {error.start + 1})"),
                             raw=raw_line.decode("utf-8", "replace"))
                continue
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as error:
                yield Record(location, None, error=RowError(f"is not valid JSON ({error.msg} at column {error.colno})"), raw=text.rstrip("\n"))
                continue
            if not isinstance(row, dict):
                yield Record(location, None, error=RowError("is not a JSON object"), raw=row)
                continue
            yield Record(location, row)


def _csv_records(path: str) -> Iterator[Record]:
    csv.field_size_limit(sys.maxsize)
    with _open_text(path, errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for row in reader:
            location = f"line {reader.line_num}"
            if None in row:
                yield Record(location, None, error=RowError("has more cells than the header has columns"), raw=row[None])
                continue
            bad = next((name for name, value in row.items() if isinstance(value, str) and _has_surrogates(value)), None)
            if bad is not None:
                yield Record(location, None, error=RowError("is not valid UTF-8", bad),
                             raw={k: (v.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if isinstance(v, str) else v)
                                  for k, v in row.items()})
                continue
            yield Record(location, {k: v for k, v in row.items()})


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parquet_records(path: str) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a corrupt file
        raise FormatError(f"Cannot read '{path}' as Parquet: {error}.") from None
    row_number = 0
    for batch in parquet.iter_batches(batch_size=65_536):
        for row in batch.to_pylist():
            row_number += 1
            yield Record(f"row {row_number}", _plain(row))


def _plain(row: dict) -> dict:
    """NaN floats (pandas' missing values) become None, so missing means missing in every container."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _json_source(path: str, label: str) -> Source:
    try:
        with _open_binary(path) as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise FormatError(f"'{label}' is not valid UTF-8 (byte offset {error.start}).") from None
    except ValueError as error:
        raise FormatError(f"'{label}' is not valid JSON: {error}.") from None
    if isinstance(document, list):
        def rows():
            for index, row in enumerate(document):
                location = f"item {index}"
                if not isinstance(row, dict):
                    yield Record(location, None, error=RowError("is not a JSON object"), raw=row)
                else:
                    yield Record(location, row)
        return Source(path, label, "json", _rows=rows)
    if isinstance(document, dict):
        return Source(path, label, "json", document=document)
    raise FormatError(f"'{label}' holds a JSON {type(document).__name__}, not a list of rows or an object.")


def _dataset_records(dataset, split: str | None) -> Iterator[Record]:
    prefix = f"{split} " if split else ""
    for index, row in enumerate(dataset):
        yield Record(f"{prefix}row {index + 1}", _plain(dict(row)), context={"split": split} if split else {})


def _splits_source(path: str, label: str, container: str, loaded) -> Source:
    def rows():
        if hasattr(loaded, "keys") and not hasattr(loaded, "features"):
            for split in loaded.keys():
                yield from _dataset_records(loaded[split], split)
        else:
            yield from _dataset_records(loaded, None)
    return Source(path, label, container, _rows=rows)


def _hf_disk_source(folder: Path) -> Source:
    if not ((folder / "dataset_info.json").exists() or (folder / "dataset_dict.json").exists()):
        raise FormatError(f"'{folder}' is a folder but not a Hugging Face save_to_disk dataset (no dataset_info.json or dataset_dict.json).")
    from datasets import load_from_disk

    return _splits_source(str(folder), folder.name, "hf-disk", load_from_disk(str(folder)))


def _hub_source(dataset_id: str) -> Source:
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise FormatError(f"'{dataset_id}' is not a local file and the Hugging Face hub is offline (HF_HUB_OFFLINE=1); download it first or give a local path.")
    from datasets import load_dataset

    try:
        loaded = load_dataset(dataset_id)
    except Exception as error:  # network, auth and missing-dataset errors all end here
        raise FormatError(f"Could not load hub dataset '{dataset_id}': {error}.") from None
    return _splits_source(dataset_id, dataset_id, "hub", loaded)


# ---------------------------------------------------------------- writing

def write_rows(rows: list[dict], path: str, container: str | None = None) -> None:
    container = container or container_of(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if container == "jsonl":
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str))
                handle.write("\n")
    elif container == "json":
        write_document(rows, path)
    elif container == "csv":
        _write_csv(rows, path)
    elif container == "parquet":
        _write_parquet(rows, path)
    else:
        raise FormatError(f"Cannot write container '{container}'; use jsonl, json, csv or parquet.")


def write_document(document: Any, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1, default=str)


def _columns(rows: list[dict]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names[key] = None
    return list(names)


def _write_csv(rows: list[dict], path: str) -> None:
    columns = _columns(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in row.items()})


def _write_parquet(rows: list[dict], path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = _columns(rows)
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Mixed types in one column: keep every value, as JSON text.
            arrays[name] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values])
    pq.write_table(pa.table(arrays) if arrays else pa.table({}), path)
