"""The notebook API: the same operations as the CLI and the app, returning pandas DataFrames.

    import workbench
    ws = workbench.open_workspace("my-audit")
    ws.load("prefs.jsonl")
    ws.analyze("basic")
    risky = ws.query(filters=["basic.near_identical = true"], columns=["pair_id", "prompt"])
    ws.export("clean.jsonl", where="NOT basic.near_identical", format="trl")
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from workbench import query as queries
from workbench.export import ExportReport, export
from workbench.filters import Filter, FilterSpec, parse_filter
from workbench.jobs import analyze as run_analyzer
from workbench.loading import LoadOptions
from workbench.schema import DEFAULT_MAX_FIELD_CHARS
from workbench.summary import workspace_summary
from workbench.workspace import LoadReport, RunInfo, WorkspaceStore

FilterLike = Filter | str | dict


def make_spec(filters: Iterable[FilterLike] | None = None, where: str | None = None) -> FilterSpec:
    """A FilterSpec from Filter objects, 'COLUMN OP VALUE' strings or {column, op, value} dicts."""
    parsed = []
    for item in filters or []:
        if isinstance(item, Filter):
            parsed.append(item)
        elif isinstance(item, str):
            parsed.append(parse_filter(item))
        else:
            parsed.append(Filter(**item))
    return FilterSpec(parsed, where)


class Workspace:
    def __init__(self, path: str | Path = ".workspace", *, read_only: bool = False):
        self.store = WorkspaceStore(path, read_only=read_only)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def path(self) -> Path:
        return self.store.folder

    def load(self, path: str, *, format: str | None = None, column_map: dict[str, str] | None = None,
             on_error: str = "fail", replace: bool = False, source: str | None = None,
             max_field_chars: int = DEFAULT_MAX_FIELD_CHARS, progress: Callable[[int], None] | None = None) -> LoadReport:
        options = LoadOptions(format=format, column_map=column_map or {}, on_error=on_error, source=source,
                              max_field_chars=max_field_chars)
        return self.store.load(path, options, replace=replace, progress=progress)

    def analyze(self, name: str, progress: Callable[[int, int, str], None] | None = None, **settings) -> RunInfo:
        info, _ = run_analyzer(self.store, name, settings, progress)
        return info

    def query(self, filters: Iterable[FilterLike] | None = None, where: str | None = None, *,
              columns: list[str] | None = None, order_by: str | None = None, descending: bool = False,
              limit: int | None = None, offset: int = 0) -> pd.DataFrame:
        spec = make_spec(filters, where)
        if limit is None:
            return queries.fetch(self.store, spec, columns=columns, order_by=order_by, descending=descending)
        return queries.page(self.store, spec, columns=columns, order_by=order_by, descending=descending,
                            limit=limit, offset=offset)

    def count(self, filters: Iterable[FilterLike] | None = None, where: str | None = None) -> int:
        return queries.count(self.store, make_spec(filters, where))

    def pair(self, pair_id: str) -> dict:
        return queries.pair(self.store, pair_id)

    def columns(self) -> pd.DataFrame:
        return pd.DataFrame([{"column": name, **{k: v for k, v in info.items() if k != "sql"}}
                             for name, info in self.store.available_columns().items()])

    def runs(self) -> pd.DataFrame:
        return pd.DataFrame([vars(run) for run in self.store.runs()])

    def tag(self, tag: str | None, filters: Iterable[FilterLike] | None = None, where: str | None = None,
            note: str = "", pair_ids: list[str] | None = None) -> int:
        ids = pair_ids if pair_ids is not None else queries.matching_ids(self.store, make_spec(filters, where))
        return self.store.set_tag(ids, tag, note)

    def summary(self) -> dict:
        return workspace_summary(self.store)

    def export(self, out: str, filters: Iterable[FilterLike] | None = None, where: str | None = None, *,
               format: str = "original", with_scores: bool = False) -> ExportReport:
        return export(self.store, out, make_spec(filters, where), format=format, with_scores=with_scores)
