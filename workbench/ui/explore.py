"""Widgets of the Explore page: table controls, the paged table (one page leaves the database at a
time), row selection, and tagging every pair that matches the filters."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.filters import FilterSpec
from workbench.ui import state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

TABLE_KEY = "wb.explore.table"
PAGE_KEY = "wb.explore.page"
PAIR_KEY = "wb.explore.pair_id"
SIGNATURE_KEY = "wb.explore.signature"
PAGE_SIZES = (10, 25, 50, 100, 200)
BASE_COLUMNS = ("pair_id", "source", "label", "prompt", "chosen", "rejected")
TEXT_PREVIEW_CHARS = 160
FILE_ORDER = "(file order)"
# Score columns shown by default when an analyzer has run (others can be added in 'Columns').
PREFERRED_SCORES = ("basic.length_delta_tokens", "basic.response_similarity", "basic.near_identical")


@dataclass
class TableView:
    columns: list[str]
    order_by: str | None
    descending: bool
    page_size: int
    page: int
    pages: int


def default_columns(columns: dict[str, dict]) -> list[str]:
    chosen = [name for name in BASE_COLUMNS if name in columns]
    scores = [name for name in PREFERRED_SCORES if name in columns]
    for name, info in columns.items():  # two columns of every other analyzer
        group = info["group"]
        if group not in ("pair", "tag", "basic") and sum(1 for s in scores if s.startswith(group + ".")) < 2:
            scores.append(name)
    return chosen + scores + ["tag"]


def table_controls(store: "WorkspaceStore", spec: FilterSpec, matching: int) -> TableView:
    columns = store.available_columns()
    options = [name for name in columns if name != "original"]
    if "wb.explore.columns" in st.session_state:  # drop columns of runs that are gone
        st.session_state["wb.explore.columns"] = [c for c in st.session_state["wb.explore.columns"] if c in options]
    else:
        st.session_state["wb.explore.columns"] = default_columns(columns)
    if st.session_state.get("wb.explore.sort", FILE_ORDER) not in (FILE_ORDER, *options):
        st.session_state["wb.explore.sort"] = FILE_ORDER
    row = st.columns([5, 2.2, 1.5, 1.2, 1.4], vertical_alignment="bottom")
    visible = row[0].multiselect("Columns", options, key="wb.explore.columns",
                                 help="Columns of the table; long texts are cut to their first "
                                      f"{TEXT_PREVIEW_CHARS} characters here (select a row to read them whole).")
    order_by = row[1].selectbox("Sort by", [FILE_ORDER, *options], key="wb.explore.sort",
                                help="Sorted in the database before paging; empty values go last.")
    descending = row[2].toggle("Descending", key="wb.explore.descending", disabled=order_by == FILE_ORDER)
    page_size = row[3].selectbox("Page size", PAGE_SIZES, index=1, key="wb.explore.page_size")
    pages = max(1, math.ceil(matching / page_size))
    signature = json.dumps([spec.as_dict(), order_by, descending, page_size], default=str)
    if st.session_state.get("wb.explore.paging_signature") != signature:
        st.session_state["wb.explore.paging_signature"] = signature
        st.session_state[PAGE_KEY] = 1
    st.session_state[PAGE_KEY] = min(max(1, int(st.session_state.get(PAGE_KEY, 1))), pages)
    page = row[4].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=PAGE_KEY)
    return TableView(visible or ["pair_id"], None if order_by == FILE_ORDER else order_by, descending, page_size,
                     int(page), pages)


def _preview(value) -> object:
    if isinstance(value, str):
        text = " ".join(value.split())
        return text if len(text) <= TEXT_PREVIEW_CHARS else text[: TEXT_PREVIEW_CHARS - 1] + "…"
    return value


def _column_config(columns: dict[str, dict], names: list[str]) -> dict:
    from workbench.ui.filters import is_numeric

    config = {}
    for name in names:
        info = columns[name]
        kind = info["type"].upper()
        if kind == "BOOLEAN":
            config[name] = st.column_config.CheckboxColumn(name, help=info["description"])
        elif is_numeric(kind):
            number_format = "%.3f" if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL") else None
            config[name] = st.column_config.NumberColumn(name, help=info["description"], format=number_format)
        else:
            width = "medium" if name in ("prompt", "chosen", "rejected") else None
            config[name] = st.column_config.TextColumn(name, help=info["description"], width=width)
    return config


def pairs_table(store: "WorkspaceStore", spec: FilterSpec, view: TableView) -> None:
    """One page of the matching pairs; selecting a row opens the pair view (its id lands in PAIR_KEY)."""
    from workbench import query

    columns = store.available_columns()
    fetched = list(dict.fromkeys(["pair_id", *view.columns]))
    frame = query.page(store, spec, columns=fetched, order_by=view.order_by, descending=view.descending,
                       limit=view.page_size, offset=(view.page - 1) * view.page_size)
    shown = frame.copy()
    for name in shown.columns:
        if shown[name].dtype == object:
            shown[name] = shown[name].map(_preview)
    # A new page, filter or sort means new rows: the old row selection no longer points at the same pair.
    signature = json.dumps([spec.as_dict(), fetched, view.order_by, view.descending, view.page_size, view.page,
                            state.revision()], default=str)
    if st.session_state.get(SIGNATURE_KEY) != signature:
        st.session_state[SIGNATURE_KEY] = signature
        st.session_state.pop(TABLE_KEY, None)
    event = st.dataframe(
        shown, key=TABLE_KEY, on_select="rerun", selection_mode="single-row", hide_index=True, width="stretch",
        column_order=view.columns, column_config=_column_config(columns, fetched), row_height=35,
        height=min(38 + 35 * max(len(shown), 1), 38 + 35 * 15))
    first = (view.page - 1) * view.page_size
    st.caption(f"Rows {first + 1 if len(frame) else 0:,}–{first + len(frame):,} of the matching pairs; "
               "select a row (the box at its left) to open it side by side below. Hover a column name for its definition.")
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(frame):
        st.session_state[PAIR_KEY] = str(frame["pair_id"].iloc[rows[0]])


def _bulk_tag(store: "WorkspaceStore", spec: FilterSpec) -> None:
    from workbench import query

    choice = st.session_state.get("wb.bulk.tag", "keep")
    note = st.session_state.get("wb.bulk.note") or ""
    try:
        ids = query.matching_ids(store, spec)
        store.set_tag(ids, None if choice == "remove tag" else choice, note)
    except WorkbenchError as error:
        state.flash(str(error), "error")
        return
    state.mark_changed()
    action = "Removed the tags of" if choice == "remove tag" else f"Tagged '{choice}':"
    state.flash(f"{action} {len(ids):,} pairs.")


def bulk_tag(store: "WorkspaceStore", spec: FilterSpec, matching: int) -> None:
    with st.expander(f"Tag all {matching:,} matching pairs"):
        if not spec.filters and not spec.where:
            st.warning("No filters are set: this tags every pair in the workspace.", icon=":material/warning:")
        row = st.columns([2.5, 4, 2.5], vertical_alignment="bottom")
        row[0].segmented_control("Tag", ["keep", "drop", "flag", "remove tag"], default="drop", key="wb.bulk.tag",
                                 required=True)
        row[1].text_input("Note", key="wb.bulk.note", placeholder="why (optional)")
        row[2].button(f"Tag all {matching:,} matching pairs", key="wb.bulk.apply", type="primary",
                      on_click=_bulk_tag, args=(store, spec), disabled=matching == 0, width="stretch")

