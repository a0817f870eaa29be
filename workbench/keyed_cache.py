"""A folder of Parquet shards mapping a text key (e.g. an md5 of model + text) to a vector or a few numbers.

Used for per-text results that are expensive and reused across runs and analyzers: text embeddings,
per-sequence log-probs. Writers add a new shard (uniquely named, atomically renamed), so several job
processes can write at once; readers take the union of all shards.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd


def text_key(*parts: str) -> str:
    """A stable key for a tuple of texts (model name, settings, the text itself)."""
    digest = hashlib.md5()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


class KeyedCache:
    """Vectors (one float32 array per key) or scalar records (a dict of numbers per key) kept on disk."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _shards(self) -> list[Path]:
        return sorted(self.folder.glob("shard-*.parquet")) if self.folder.exists() else []

    def get_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors for those of ``keys`` that are cached."""
        wanted = set(keys)
        found: dict[str, np.ndarray] = {}
        for shard in self._shards():
            table = pd.read_parquet(shard)
            hits = table[table["key"].isin(wanted)]
            for key, vector in zip(hits["key"], hits["vector"]):
                found[key] = np.asarray(vector, dtype=np.float32)
        return found

    def put_vectors(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        frame = pd.DataFrame({"key": keys, "vector": list(np.asarray(vectors, dtype=np.float32))})
        self._write(frame)

    def get_records(self, keys: list[str]) -> pd.DataFrame:
        """Stored records for the cached ``keys``, indexed by key."""
        wanted = set(keys)
        parts = [table[table["key"].isin(wanted)] for table in map(pd.read_parquet, self._shards())]
        parts = [part for part in parts if len(part)]
        if not parts:
            return pd.DataFrame().rename_axis("key")
        return pd.concat(parts).drop_duplicates("key", keep="last").set_index("key")

    def put_records(self, records: pd.DataFrame) -> None:
        """Store a frame with a ``key`` column and numeric columns."""
        if len(records):
            self._write(records)

    def _write(self, frame: pd.DataFrame) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"shard-{uuid.uuid4().hex}.parquet"
        staging = target.with_suffix(".tmp")
        frame.to_parquet(staging, index=False)
        os.replace(staging, target)
