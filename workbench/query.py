"""Reading pairs through filters: counts, pages for the Explore table, matching ids, full fetches.

Every read takes a ``FilterSpec``, so the UI, the CLI, the notebook API and the exporters narrow the
data the same way. Queries run on their own cursor and are interrupted after ``timeout_s`` so a
runaway WHERE clause cannot hang the app.
"""
from __future__ import annotations

import threading

import pandas as pd

from workbench.errors import FilterError, WorkbenchError
from workbench.filters import FilterSpec, compile_spec
from workbench.workspace import WorkspaceStore

DEFAULT_ORDER = "pairs.dataset_id, pairs.row_index"
QUERY_TIMEOUT_S = 30.0


def _run(store: WorkspaceStore, sql: str, params: list, timeout_s: float = QUERY_TIMEOUT_S) -> pd.DataFrame:
    cursor = store.cursor()
    timer = threading.Timer(timeout_s, cursor.interrupt)
    timer.start()
    try:
        return cursor.execute(sql, params).df()
    except Exception as error:
        text = str(error)
        if "INTERRUPT" in text.upper():
            raise FilterError(f"The query took longer than {timeout_s:.0f} s and was stopped; narrow the filter.") from None
        first_line = text.splitlines()[0] if text else type(error).__name__
        raise FilterError(f"The filter could not run: {first_line}") from None
    finally:
        timer.cancel()
        cursor.close()


def where_sql(store: WorkspaceStore, spec: FilterSpec | None) -> tuple[str, list]:
    spec = spec or FilterSpec()
    return compile_spec(spec, store.available_columns(), store.view_sql(), store.con)


def count(store: WorkspaceStore, spec: FilterSpec | None = None) -> int:
    condition, params = where_sql(store, spec)
    frame = _run(store, f"SELECT count(*) AS n FROM {store.view_sql()} WHERE {condition}", params)
    return int(frame["n"].iloc[0])


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
                          offset=offset, with_count=False)[0]


def page_and_count(store: WorkspaceStore, spec: FilterSpec | None = None, *, columns: list[str] | None = None,
                   order_by: str | None = None, descending: bool = False, limit: int = 50, offset: int = 0,
                   with_count: bool = True) -> tuple[pd.DataFrame, int | None]:
    """A page and the number of matching pairs, scanning the filtered data once.

    First the row ids of the page (and the total, as a window count) come from a query that reads
    only the filter and sort columns; then the page's own columns are fetched for those rows alone,
    so long texts are read for the page and never for the whole table.
    """
    if limit < 0 or offset < 0:
        raise WorkbenchError("Page limit and offset must be >= 0.")
    condition, params = where_sql(store, spec)
    view, order = store.view_sql(), _order_sql(store, order_by, descending)
    total_sql = ", count(*) OVER () AS total" if with_count else ""
    located = _run(store, f"SELECT pairs.rowid AS row_id{total_sql} FROM {view} WHERE {condition} "
                          f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}", params)
    total = None
    if with_count:
        total = int(located["total"].iloc[0]) if len(located) else (count(store, spec) if offset else 0)
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
