"""The DuckDB workspace: pairs, analyzer runs and their per-pair results, and per-pair tags.

A workspace is a folder holding ``workspace.duckdb`` plus ``rejects/`` (rows a load skipped) and
``jobs/`` (analyzer batches written by job processes before they are ingested here). Only one process
opens the database; job processes exchange files with it instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd

from workbench.errors import WorkbenchError
from workbench import columnar_load
from workbench.loading import LoadOptions, PairReader, default_source_name, file_fingerprint, to_columns
from workbench.schema import PAIR_COLUMNS

DB_FILE = "workspace.duckdb"
TAG_VALUES = ("keep", "drop", "flag")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS datasets (
        dataset_id INTEGER PRIMARY KEY, name VARCHAR, path VARCHAR, format VARCHAR, container VARCHAR,
        file_fingerprint VARCHAR, loaded_at TIMESTAMP, n_pairs BIGINT, n_rejected BIGINT,
        rejects_path VARCHAR, options JSON, stats JSON, info JSON)""",
    "CREATE TABLE IF NOT EXISTS pairs (" + ", ".join(f"{name} {kind}" for name, (kind, _) in PAIR_COLUMNS.items()) + ")",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, analyzer VARCHAR, version VARCHAR, settings JSON, model VARCHAR,
        dataset_fingerprint VARCHAR, cache_key VARCHAR, status VARCHAR, created_at TIMESTAMP,
        finished_at TIMESTAMP, n_pairs BIGINT, summary JSON, columns JSON, error VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS tags (
        pair_id VARCHAR PRIMARY KEY, tag VARCHAR, note VARCHAR, updated_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS workspace_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
]
# Order-independent hash over every pair's id and content (ids are unique, so nothing cancels out).
_FINGERPRINT_SQL = "SELECT count(*) || '-' || coalesce(bit_xor(hash(pair_id, prompt, chosen, rejected, label)), 0) FROM pairs"

@dataclass
class LoadReport:
    dataset_id: int
    path: str
    format: str
    container: str
    loaded: int
    rejected: int
    rejects_path: str | None
    stats: dict

    def describe(self) -> str:
        text = f"Loaded {self.loaded:,} pairs from {Path(self.path).name} as {self.format}"
        if self.rejected:
            text += f"; skipped {self.rejected:,} malformed rows (reasons in {self.rejects_path})"
        notes = [f"{value:,} {name.replace('_', ' ')}" for name, value in self.stats.items()
                 if name not in ("loaded", "rejected") and value]
        return text + (f" ({', '.join(notes)})" if notes else "") + "."


@dataclass
class RunInfo:
    run_id: str
    analyzer: str
    version: str
    settings: dict
    model: str | None
    dataset_fingerprint: str
    cache_key: str
    status: str
    created_at: Any
    finished_at: Any
    n_pairs: int | None
    summary: dict
    columns: dict
    error: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class WorkspaceStore:
    """All reads and writes of the workspace database go through this class."""

    def __init__(self, folder: str | Path, *, read_only: bool = False, memory_limit: str | None = None):
        """``memory_limit`` caps DuckDB's memory (default $WORKBENCH_MEMORY_LIMIT, else 1GB); work beyond it
        spills to disk, so the app stays small however large the dataset."""
        self.folder = Path(folder)
        self.read_only = read_only
        if not read_only:
            self.folder.mkdir(parents=True, exist_ok=True)
        elif not (self.folder / DB_FILE).exists():
            raise WorkbenchError(f"No workspace at '{self.folder}' (no {DB_FILE}); load a dataset into it first.")
        try:
            self.con = duckdb.connect(str(self.folder / DB_FILE), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise WorkbenchError(f"Workspace '{self.folder}' is open in another process (the app or another "
                                     "command); close it there or use another --workspace.") from None
            raise WorkbenchError(f"Cannot open workspace '{self.folder}': {error}") from None
        limit = (memory_limit or os.environ.get("WORKBENCH_MEMORY_LIMIT", "1GB")).strip()
        if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit, flags=re.IGNORECASE):
            self.con.close()
            raise WorkbenchError(f"Invalid memory limit '{limit}' (WORKBENCH_MEMORY_LIMIT); write it like 1GB or 512MB.")
        self.con.execute(f"SET memory_limit = '{limit}'")
        self.lock = threading.RLock()
        self._active_runs: dict[str, RunInfo] | None = None
        self._columns: dict[str, dict] | None = None
        # Goes up with every write this process makes; caches of derived data (query.py) key on it.
        self.revision = 0
        self.match_tables: dict[str, tuple[str, int]] = {}
        if not read_only:
            for statement in _SCHEMA:
                self.con.execute(statement)

    # ------------------------------------------------------------ basics
    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def sql_df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self.lock:
            return self.con.execute(sql, params or []).df()

    def sql_rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.lock:
            return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        rows = self.sql_rows(sql, params)
        return rows[0][0] if rows else None

    def copy_to_parquet(self, select_sql: str, path: Path) -> None:
        """Write a query's result to a Parquet file (the path is quoted, so any folder name works)."""
        literal = "'" + str(path).replace("'", "''") + "'"
        with self.lock:
            self.con.execute(f"COPY ({select_sql}) TO {literal} (FORMAT parquet)")

    def close(self) -> None:
        self.con.close()

    def n_pairs(self) -> int:
        return int(self.scalar("SELECT count(*) FROM pairs"))

    def fingerprint(self) -> str:
        """Identifies the pairs in the workspace: a hash over every pair id and its content.

        Computed when a load commits (pairs change only then) and read back afterwards.
        """
        stored = self.scalar("SELECT value FROM workspace_meta WHERE key = 'fingerprint'")
        return stored if stored is not None else _short_hash(str(self.scalar(_FINGERPRINT_SQL)))

    @staticmethod
    def _store_fingerprint(con) -> None:
        value = _short_hash(str(con.execute(_FINGERPRINT_SQL).fetchall()[0][0]))
        con.execute("INSERT OR REPLACE INTO workspace_meta VALUES ('fingerprint', ?)", [value])

    def datasets(self) -> pd.DataFrame:
        return self.sql_df("SELECT * FROM datasets ORDER BY dataset_id")

    def dataset_info(self, dataset_id: int) -> dict:
        rows = self.sql_rows("SELECT name, info FROM datasets WHERE dataset_id = ?", [dataset_id])
        if not rows:
            return {}
        info = json.loads(rows[0][1]) if rows[0][1] else {}
        info.setdefault("name", rows[0][0])
        return info

    # ------------------------------------------------------------ loading
    def load(self, path: str, options: LoadOptions | None = None, *, replace: bool = False,
             progress: Callable[[int], None] | None = None) -> LoadReport:
        """Load a file in one transaction: on any error the workspace stays as it was.

        Flat TRL Parquet files go through the vectorized path (workbench/columnar_load.py), every other
        file through the row-by-row reader; both give the same pairs.
        """
        options = options or LoadOptions()
        fingerprint = file_fingerprint(path)
        with self.lock:
            if not replace:
                previous = self.sql_rows("SELECT name FROM datasets WHERE file_fingerprint = ?", [fingerprint])
                if previous:
                    raise WorkbenchError(f"'{path}' is already loaded in this workspace (as '{previous[0][0]}'); "
                                         "use --replace to start the workspace over.")
            loader = columnar_load.plan(self.con, str(path), options, options.source or default_source_name(str(path)))
            if loader is None:
                loader = PairReader(path, options)
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                if replace:
                    for table in ("pairs", "datasets", "tags"):
                        con.execute(f"DELETE FROM {table}")
                dataset_id = int(con.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets").fetchall()[0][0])
                if isinstance(loader, PairReader):
                    for chunk in loader.chunks(progress=progress):
                        self._insert_chunk(con, chunk, dataset_id)
                else:
                    loader.insert(con, dataset_id, progress)
                self._check_new_ids(con, dataset_id, loader.label)
                rejects_path = self._write_rejects(loader, dataset_id)
                stats = asdict(loader.stats)
                con.execute(
                    "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [dataset_id, loader.default_source, str(path), loader.adapter_name, loader.container,
                     fingerprint, _now(), loader.stats.loaded, loader.stats.rejected, rejects_path,
                     json.dumps({"format": options.format, "column_map": options.column_map, "on_error": options.on_error,
                                 "max_field_chars": options.max_field_chars}),
                     json.dumps(stats), json.dumps(loader.dataset_info, default=str)],
                )
                self._store_fingerprint(con)
                con.execute("COMMIT")
                self.revision += 1
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return LoadReport(dataset_id, str(path), loader.adapter_name, loader.container, loader.stats.loaded,
                          loader.stats.rejected, rejects_path, stats)

    @staticmethod
    def _check_new_ids(con, dataset_id: int, label: str) -> None:
        clashes = con.execute(
            "SELECT n.pair_id, n.location FROM pairs n JOIN pairs o USING (pair_id) "
            "WHERE n.dataset_id = ? AND (o.dataset_id <> ? OR n.row_index <> o.row_index) LIMIT 1",
            [dataset_id, dataset_id]).fetchall()
        if clashes:
            raise WorkbenchError(f"{label}, {clashes[0][1]}: pair id '{clashes[0][0]}' is already in the workspace "
                                 "(from an earlier load or another row); use --replace or give the rows distinct ids.")

    @staticmethod
    def _insert_chunk(con, chunk: list[dict], dataset_id: int) -> None:
        import pyarrow as pa

        columns = to_columns(chunk)
        columns["dataset_id"] = [dataset_id] * len(chunk)
        table = pa.table({name: columns[name] for name in PAIR_COLUMNS})
        con.register("chunk_view", table)
        try:
            con.execute("INSERT INTO pairs SELECT * FROM chunk_view")
        finally:
            con.unregister("chunk_view")

    def _write_rejects(self, reader, dataset_id: int) -> str | None:
        if not reader.rejected:
            return None
        folder = self.folder / "rejects"
        folder.mkdir(exist_ok=True)
        path = folder / f"{dataset_id:03d}-{reader.default_source}.rejects.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for rejected in reader.rejected:
                handle.write(rejected.as_json() + "\n")
        return str(path)

    # ------------------------------------------------------------ analyzer runs
    def runs(self, analyzer: str | None = None) -> list[RunInfo]:
        sql = "SELECT * FROM runs" + (" WHERE analyzer = ?" if analyzer else "") + " ORDER BY created_at"
        frame = self.sql_df(sql, [analyzer] if analyzer else [])
        return [self._run_info(row) for row in frame.to_dict("records")]

    @staticmethod
    def _run_info(row: dict) -> RunInfo:
        def loads(value):
            return json.loads(value) if isinstance(value, str) and value else {}
        return RunInfo(
            run_id=row["run_id"], analyzer=row["analyzer"], version=row["version"], settings=loads(row["settings"]),
            model=row["model"], dataset_fingerprint=row["dataset_fingerprint"], cache_key=row["cache_key"],
            status=row["status"], created_at=row["created_at"], finished_at=row["finished_at"],
            n_pairs=None if pd.isna(row["n_pairs"]) else int(row["n_pairs"]), summary=loads(row["summary"]),
            columns=loads(row["columns"]), error=row["error"] if isinstance(row["error"], str) else None,
        )

    def run(self, run_id: str) -> RunInfo | None:
        frame = self.sql_df("SELECT * FROM runs WHERE run_id = ?", [run_id])
        return self._run_info(frame.to_dict("records")[0]) if len(frame) else None

    def completed_run(self, cache_key: str) -> RunInfo | None:
        frame = self.sql_df("SELECT * FROM runs WHERE cache_key = ? AND status = 'complete' ORDER BY finished_at DESC LIMIT 1",
                            [cache_key])
        return self._run_info(frame.to_dict("records")[0]) if len(frame) else None

    def record_run(self, info: RunInfo) -> None:
        self._active_runs = self._columns = None
        self.revision += 1
        with self.lock:
            self.con.execute("DELETE FROM runs WHERE run_id = ?", [info.run_id])
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [info.run_id, info.analyzer, info.version, json.dumps(info.settings, sort_keys=True), info.model,
                 info.dataset_fingerprint, info.cache_key, info.status, info.created_at, info.finished_at,
                 info.n_pairs, json.dumps(info.summary, default=str), json.dumps(info.columns), info.error],
            )

    def store_results(self, info: RunInfo, results: pd.DataFrame) -> None:
        """Replace the stored per-pair results of one run and mark the run complete, atomically."""
        table = result_table(info.analyzer)
        frame = results.copy()
        frame.insert(0, "run_id", info.run_id)
        with self.lock:
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("incoming", frame)
                exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0]
                if not exists:
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming LIMIT 0")
                known = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
                for name, kind, *_ in con.execute("DESCRIBE incoming").fetchall():
                    if name not in known:
                        con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {kind}')
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [info.run_id])
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
                con.unregister("incoming")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self.record_run(info)

    def active_runs(self) -> dict[str, RunInfo]:
        """The run whose results each analyzer's columns show: its latest complete run.

        Cached: only this process writes runs (DuckDB allows one writer), and ``record_run`` resets it.
        """
        if self._active_runs is None:
            active: dict[str, RunInfo] = {}
            for info in self.runs():
                if info.status == "complete":
                    active[info.analyzer] = info  # runs are ordered by creation, so the latest wins
            self._active_runs = active
        return dict(self._active_runs)

    def result_columns(self) -> dict[str, tuple[str, str, str]]:
        """'analyzer.column' -> (analyzer, column, description) for every active run."""
        columns = {}
        for analyzer, info in self.active_runs().items():
            for column, description in info.columns.items():
                columns[f"{analyzer}.{column}"] = (analyzer, column, description)
        return columns

    # ------------------------------------------------------------ tags
    def set_tag(self, pair_ids: list[str], tag: str | None, note: str = "") -> int:
        """Tag pairs keep / drop / flag (with a note); tag None removes their tags."""
        if tag is not None and tag not in TAG_VALUES:
            raise WorkbenchError(f"Tag must be one of {', '.join(TAG_VALUES)}, got '{tag}'.")
        with self.lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                frame = pd.DataFrame({"pair_id": list(pair_ids)})
                self.con.register("tagged", frame)
                self.con.execute("DELETE FROM tags WHERE pair_id IN (SELECT pair_id FROM tagged)")
                if tag is not None:
                    self.con.execute("INSERT INTO tags SELECT pair_id, ?, ?, ? FROM tagged WHERE pair_id IN (SELECT pair_id FROM pairs)",
                                     [tag, note, _now()])
                self.con.unregister("tagged")
                self.con.execute("COMMIT")
                self.revision += 1
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        return len(pair_ids)

    # ------------------------------------------------------------ the joined view
    def view_sql(self) -> str:
        """FROM clause of pairs joined with each analyzer's active results and the tags.

        Result columns are reachable as ``analyzer.column`` (the join alias is the analyzer's name).
        """
        parts = ["pairs AS pairs"]
        for analyzer, info in self.active_runs().items():
            if not _IDENTIFIER.match(analyzer) or not re.fullmatch(r"[0-9a-f]+", info.run_id):
                raise WorkbenchError(f"Stored run '{info.run_id}' of analyzer '{analyzer}' has an invalid name.")
            parts.append(f"LEFT JOIN (SELECT * EXCLUDE (run_id) FROM {result_table(analyzer)} WHERE run_id = '{info.run_id}') "
                         f"AS {analyzer} USING (pair_id)")
        parts.append("LEFT JOIN (SELECT pair_id, tag, note AS tag_note FROM tags) AS tags USING (pair_id)")
        return " ".join(parts)

    def select_list(self, columns: list[str] | None = None) -> str:
        """SELECT list for ``columns`` (names as in ``available_columns``); all columns when None."""
        available = self.available_columns()
        names = columns or list(available)
        parts = []
        for name in names:
            if name not in available:
                raise WorkbenchError(f"Unknown column '{name}'.")
            parts.append(f"{available[name]['sql']} AS \"{name}\"")
        return ", ".join(parts)

    def available_columns(self) -> dict[str, dict]:
        """Every column of the joined view: name -> {sql, type, description, group} (cached like active_runs)."""
        if self._columns is None:
            self._columns = self._describe_columns()
        return dict(self._columns)

    def _describe_columns(self) -> dict[str, dict]:
        columns: dict[str, dict] = {}
        for name, (kind, description) in PAIR_COLUMNS.items():
            columns[name] = {"sql": f"pairs.{name}", "type": kind, "description": description, "group": "pair"}
        columns["tag"] = {"sql": "tags.tag", "type": "VARCHAR", "description": "Your tag on the pair: keep, drop or flag.", "group": "tag"}
        columns["tag_note"] = {"sql": "tags.tag_note", "type": "VARCHAR", "description": "The note on the tag.", "group": "tag"}
        types = {}
        for analyzer in self.active_runs():
            for name, kind in self.sql_rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                                            [result_table(analyzer)]):
                types[(analyzer, name)] = kind
        for full_name, (analyzer, column, description) in self.result_columns().items():
            columns[full_name] = {"sql": f'{analyzer}."{column}"', "type": types.get((analyzer, column), "DOUBLE"),
                                  "description": description, "group": analyzer}
        return columns


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def result_table(analyzer: str) -> str:
    if not _IDENTIFIER.match(analyzer):
        raise WorkbenchError(f"Invalid analyzer name '{analyzer}'.")
    return f"result_{analyzer}"


def cache_key(analyzer: str, version: str, settings: dict, dataset_fingerprint: str) -> str:
    text = json.dumps([analyzer, version, settings, dataset_fingerprint], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
