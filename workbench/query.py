"""Reading pairs through filters: counts, pages for the Explore table, matching ids, full fetches.

Every read takes a ``FilterSpec``, so the UI, the CLI, the notebook API and the exporters narrow the
data the same way. Queries are interrupted after ``timeout_s`` so a runaway WHERE clause cannot hang
the app.

Counting and paging share one scan: the first read of a filter keeps the matching row ids in a
temporary table (per filter and workspace revision, a few kept), so its count and every page after
it skip evaluating the filter again. On a million pairs a text search then costs one scan, not two
per page.
"""
from __future__ import annotations

import hashlib
import json
import threading

import pandas as pd

from workbench.errors import FilterError, WorkbenchError
from workbench.filters import FilterSpec, compile_spec
from workbench.workspace import WorkspaceStore

DEFAULT_ORDER = "pairs.dataset_id, pairs.row_index"
QUERY_TIMEOUT_S = 30.0


MATCH_TABLES_KEPT = 8


def _run(store: WorkspaceStore, sql: str, params: list, timeout_s: float = QUERY_TIMEOUT_S, *,
         on_store_connection: bool = False) -> pd.DataFrame:
    """Run a read; temp match tables live on the store's own connection, other reads use a cursor."""
    if on_store_connection:
        with store.lock:
            return _guarded(store.con, sql, params, timeout_s)
    cursor = store.cursor()
    try:
        return _guarded(cursor, sql, params, timeout_s)
    finally:
        cursor.close()


def _guarded(connection, sql: str, params: list, timeout_s: float) -> pd.DataFrame:
    timer = threading.Timer(timeout_s, connection.interrupt)
    timer.start()
    try:
        result = connection.execute(sql, params)
        return result.df() if result.description else pd.DataFrame()
    except Exception as error:
        text = str(error)
        if "INTERRUPT" in text.upper():
            raise FilterError(f"The query took longer than {timeout_s:.0f} s and was stopped; narrow the filter.") from None
        first_line = text.splitlines()[0] if text else type(error).__name__
        raise FilterError(f"The filter could not run: {first_line}") from None
    finally:
        timer.cancel()


def _matches(store: WorkspaceStore, spec: FilterSpec | None) -> tuple[str, int] | None:
    """(temp table of matching row ids with their file order, count), or None when nothing filters."""
    with store.lock:  # look up, create and evict as one step when app sessions share the store
        return _matches_locked(store, spec)


def _matches_locked(store: WorkspaceStore, spec: FilterSpec | None) -> tuple[str, int] | None:
    condition, params = where_sql(store, spec)
    if condition == "TRUE":
        return None
    key = hashlib.blake2b(json.dumps([spec.as_dict(), store.revision], sort_keys=True, default=str).encode(),
                          digest_size=8).hexdigest()
    tables = store.match_tables
    if key in tables:
        tables[key] = tables.pop(key)  # most recently used last
        return tables[key]
    name = f"matches_{key}"
    _run(store, f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT pairs.rowid AS row_id, pairs.dataset_id AS dataset_id, "
                f"pairs.row_index AS row_index FROM {store.view_sql()} WHERE {condition}", params, on_store_connection=True)
    total = int(_run(store, f"SELECT count(*) AS n FROM {name}", [], on_store_connection=True)["n"].iloc[0])
    tables[key] = (name, total)
    while len(tables) > MATCH_TABLES_KEPT:
        stale_name, _ = tables.pop(next(iter(tables)))
        _run(store, f"DROP TABLE IF EXISTS {stale_name}", [], on_store_connection=True)
    return tables[key]


def where_sql(store: WorkspaceStore, spec: FilterSpec | None) -> tuple[str, list]:
    spec = spec or FilterSpec()
    with store.lock:  # the WHERE check parses on the store's connection, which threads share
        return compile_spec(spec, store.available_columns(), store.view_sql(), store.con)


def forget_matches(store: WorkspaceStore) -> None:
    """Drop the kept matching-id tables (benchmarks use it to time a filter's first read)."""
    for name, _ in store.match_tables.values():
        _run(store, f"DROP TABLE IF EXISTS {name}", [], on_store_connection=True)
    store.match_tables.clear()


def count(store: WorkspaceStore, spec: FilterSpec | None = None) -> int:
    matches = _matches(store, spec)
    return store.n_pairs() if matches is None else matches[1]


def _order_sql(store: WorkspaceStore, order_by: str | None, descending: bool) -> str:
    if not order_by:
        return DEFAULT_ORDER
    columns = store.available_columns()
    if order_by not in columns:
        raise FilterError(f"Cannot sort by unknown column '{order_by}'.")
    direction = "DESC" if descending else "ASC"
    return f"{columns[order_by]['sql']} {direction} NULLS LAST, {DEFAULT_ORDER}"


def page(store: WorkspaceStore, spec: FilterSpec | None = None, *, columns: list[str] | None = None,
         order_by: str | None = None, descending: bool = False, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """One page of the filtered pairs with the chosen columns (all view columns when None)."""
    return page_and_count(store, spec, columns=columns, order_by=order_by, descending=descending, limit=limit,
                          offset=offset)[0]


def page_and_count(store: WorkspaceStore, spec: FilterSpec | None = None, *, columns: list[str] | None = None,
                   order_by: str | None = None, descending: bool = False, limit: int = 50,
                   offset: int = 0) -> tuple[pd.DataFrame, int]:
    """A page and the number of matching pairs.

    The page's row ids come from the matching ids (see ``_matches``), sorted by reading only the sort
    columns; then the page's own columns are fetched for those rows alone, so long texts are read for
    the page and never for the whole table.
    """
    if limit < 0 or offset < 0:
        raise WorkbenchError("Page limit and offset must be >= 0.")
    matches = _matches(store, spec)
    view, order = store.view_sql(), _order_sql(store, order_by, descending)
    window = f"LIMIT {int(limit)} OFFSET {int(offset)}"
    if matches is None:
        total = store.n_pairs()
        located = _run(store, f"SELECT pairs.rowid AS row_id FROM {view} ORDER BY {order} {window}", [])
    elif not order_by:
        name, total = matches
        located = _run(store, f"SELECT row_id FROM {name} ORDER BY dataset_id, row_index {window}", [], on_store_connection=True)
    else:
        name, total = matches
        located = _run(store, f"SELECT pairs.rowid AS row_id FROM {view} WHERE pairs.rowid IN (SELECT row_id FROM {name}) "
                              f"ORDER BY {order} {window}", [], on_store_connection=True)
    if located.empty:
        return _run(store, f"SELECT {store.select_list(columns)} FROM {view} WHERE FALSE", []), total
    # Joining a VALUES list of row ids fetches scattered rows directly; `rowid IN (...)` reads whole row groups.
    page_rows = ", ".join(f"({int(row_id)}, {position})" for position, row_id in enumerate(located["row_id"]))
    frame = _run(store, f"SELECT {store.select_list(columns)} FROM (VALUES {page_rows}) AS page(row_id, position) "
                        f"JOIN {view} ON pairs.rowid = page.row_id ORDER BY page.position", [])
    return frame, total


def fetch(store: WorkspaceStore, spec: FilterSpec | None = None, *, columns: list[str] | None = None,
          order_by: str | None = None, descending: bool = False) -> pd.DataFrame:
    """Every filtered pair (for export and analyzers)."""
    condition, params = where_sql(store, spec)
    sql = (f"SELECT {store.select_list(columns)} FROM {store.view_sql()} WHERE {condition} "
           f"ORDER BY {_order_sql(store, order_by, descending)}")
    return _run(store, sql, params, timeout_s=3600)


def matching_ids(store: WorkspaceStore, spec: FilterSpec | None = None) -> list[str]:
    return fetch(store, spec, columns=["pair_id"])["pair_id"].tolist()


def pair(store: WorkspaceStore, pair_id: str) -> dict:
    """Every column of one pair (for the side-by-side view)."""
    frame = _run(store, f"SELECT {store.select_list()} FROM {store.view_sql()} WHERE pairs.pair_id = ?", [pair_id])
    if frame.empty:
        raise WorkbenchError(f"No pair with id '{pair_id}'.")
    return frame.iloc[0].to_dict()
